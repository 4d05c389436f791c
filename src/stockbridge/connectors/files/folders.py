"""The drop folder on disk: `inbox/` (partners drop files here), `processing/`, `done/`, `failed/`,
`outbox/` (our exports) and `state/` (what we last exported).

A file is *taken* by renaming it into `processing/`: a rename within one file system is atomic, so
two pollers never process the same file, and a partner cannot append to a file we are reading.
What is left in `processing/` after a crash is taken again on the next poll (ingest is idempotent,
so that is safe). Exports are written to a hidden temporary file in the same folder, flushed to
disk and renamed into place, so a reader never sees half a file. Owns no parsing and no database.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

_IGNORED_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".swp")
_STAMP = "%Y%m%dT%H%M%S%fZ"
_MAX_NAME_BYTES = 230


@dataclass
class DropFolder:
    root: Path
    settle_polls: int = 1
    _seen: dict[str, tuple[tuple[int, int], int]] = field(default_factory=dict, repr=False)

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def processing(self) -> Path:
        return self.root / "processing"

    @property
    def done(self) -> Path:
        return self.root / "done"

    @property
    def failed(self) -> Path:
        return self.root / "failed"

    @property
    def outbox(self) -> Path:
        return self.root / "outbox"

    @property
    def state(self) -> Path:
        return self.root / "state"

    def ensure(self) -> None:
        for folder in (self.inbox, self.processing, self.done, self.failed, self.outbox, self.state):
            folder.mkdir(parents=True, exist_ok=True)

    def leftovers(self) -> list[Path]:
        """Files a crashed run left in `processing/`, oldest name first."""
        return sorted(p for p in self.processing.iterdir() if p.is_file())

    def ready(self) -> list[Path]:
        """Inbox files unchanged for `settle_polls` polls (a partner may still be writing the rest)."""
        ready, seen = [], {}
        for path in sorted(self.inbox.iterdir()):
            if not path.is_file() or _ignored(path.name):
                continue
            stat = path.stat()
            signature = (stat.st_size, stat.st_mtime_ns)
            previous_signature, polls = self._seen.get(path.name, (signature, -1))
            polls = polls + 1 if previous_signature == signature else 0
            seen[path.name] = (signature, polls)
            if polls >= self.settle_polls:
                ready.append(path)
        self._seen = seen
        return ready

    def take(self, path: Path) -> Path | None:
        """Move an inbox file into `processing/`; None if another poller took it first."""
        target = self.processing / path.name
        try:
            os.rename(path, target)
        except FileNotFoundError:
            return None
        self._seen.pop(path.name, None)
        return target

    def finish(self, path: Path, *, ok: bool, now: datetime, reason: str = "") -> Path:
        """Move a processed file to `done/` or `failed/`, its name prefixed with the time (re-drops
        of one name never collide); a failed file gets a `.error.txt` beside it saying why."""
        folder = self.done if ok else self.failed
        target = unique_path(folder, fit_name(f"{now.strftime(_STAMP)}-{path.name}"))
        if not ok:
            write_atomic(folder / f"{target.name}.error.txt", (reason + "\n").encode())
        os.replace(path, target)
        return target


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` via a hidden temporary file in the same folder, fsync, rename."""
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def unique_path(folder: Path, name: str) -> Path:
    """`folder/name`, or `name` with `_002`, `_003` ... before its suffix if taken (equal clock
    stamps); `_` sorts after `.`, so names still sort in the order they were written."""
    path, n = folder / name, 1
    while path.exists():
        n += 1
        path = folder / f"{Path(name).stem}_{n:03d}{Path(name).suffix}"
    return path


def fit_name(name: str, limit: int = _MAX_NAME_BYTES) -> str:
    """`name` shortened (its stem, keeping the suffix) to `limit` bytes: file systems allow 255, and
    the time prefix, a `_002` counter and a `.error.txt` sidecar must still fit."""
    if len(name.encode()) <= limit:
        return name
    suffix = Path(name).suffix if len(Path(name).suffix) < 16 else ""
    stem = name[: len(name) - len(suffix)]
    while len((stem + "~" + suffix).encode()) > limit:
        stem = stem[:-1]
    return stem + "~" + suffix


def safe_name(text: str) -> str:
    """A file-name-safe form of a code (channel, location) for export names."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("._") or "_"


def _ignored(name: str) -> bool:
    return name.startswith((".", "~")) or name.lower().endswith(_IGNORED_SUFFIXES)
