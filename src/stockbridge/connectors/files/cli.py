"""`stockbridge files watch`: the long-running ingest of one file-drop connection's folder.

    files watch --connection C [--folder F] [--every-s S] [--settle-polls N] [--once] [--json]

Polls `<folder>/inbox/` every S seconds with `FileDropIngestor` (take each settled file, apply
its rows, quarantine bad rows by file and line, file it in done/ or failed/) until SIGINT or
SIGTERM; a signal lets the file under way finish. One line per file (one JSON object with
`--json`; start-up and errors go to stderr), so a supervisor's log says what each drop did. A
database failure skips the rest of that poll: the file stays in processing/ and is taken again on
the next one (its applied rows are then duplicates). `--once` polls once and exits 3 when a row
was quarantined or a file failed. Without `--folder`, the folder is the `root` (or `folder`)
setting of the registered connection C.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
import typer

from stockbridge.cli_commands.runtime import (
    EXIT_REJECTED_ROWS,
    DbOption,
    JsonOption,
    console,
    err_console,
    fail,
    hub,
)
from stockbridge.connectors.files.config import FileDropConfig
from stockbridge.connectors.files.drop import FileDropIngestor, FileReport
from stockbridge.services.connections import load_connection_config
from stockbridge.services.context import HubContext

app = typer.Typer(
    help="File-drop connections: ERPs, WMSs and 3PLs that exchange files.", no_args_is_help=True
)
Emit = Callable[[FileReport], None]


@app.command("watch")
def watch(
    connection: Annotated[
        str, typer.Option("--connection", help="The partner's code: its SKU aliases and location codes.")
    ],
    folder: Annotated[
        Path | None,
        typer.Option(
            "--folder", help="The drop folder (inbox/ is under it). Default: the connection's root."
        ),
    ] = None,
    every_s: Annotated[float, typer.Option("--every-s", min=0.01, help="Poll the inbox this often.")] = 1.0,
    settle_polls: Annotated[
        int,
        typer.Option(
            "--settle-polls",
            min=0,
            max=100,
            help="Polls a file must stay unchanged before it is taken (0: the partner renames finished files in).",
        ),
    ] = 1,
    once: Annotated[
        bool, typer.Option("--once", help="Poll once and exit (3 if a row was rejected).")
    ] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Ingest the files a partner drops, until SIGINT or SIGTERM."""
    with hub(db) as ctx:
        root = folder if folder is not None else _registered_root(ctx, connection)
        try:
            config = FileDropConfig(connection=connection, root=root, settle_polls=settle_polls)
        except ValueError as error:  # pydantic's ValidationError
            fail(f"invalid file-drop settings: {error}")
        ingestor = FileDropIngestor(ctx, config)
        ingestor.folder.ensure()
        reports: list[FileReport] = []

        def emit(report: FileReport) -> None:
            reports.append(report)
            _print(report, as_json)

        err_console().print(f"watching {ingestor.folder.inbox} as connection {connection}")
        if once:
            poll(ingestor, emit, threading.Event())
        else:
            asyncio.run(_until_signalled(ingestor, emit, every_s))
    if once and any(r.status == "failed" or r.summary()["quarantined"] for r in reports):
        raise typer.Exit(EXIT_REJECTED_ROWS)
    if not once:
        err_console().print(f"stopped; files processed: {len(reports)}")


def poll(ingestor: FileDropIngestor, emit: Emit, stop: threading.Event) -> None:
    """One pass: crash leftovers first, then each settled inbox file, reported as each is filed
    away; stops between files once `stop` is set."""
    folder = ingestor.folder
    folder.ensure()
    for path in folder.leftovers():
        if stop.is_set():
            return
        emit(ingestor.process(path))
    for path in folder.ready():
        if stop.is_set():
            return
        taken = folder.take(path)
        if taken is not None:
            emit(ingestor.process(taken))


async def _until_signalled(ingestor: FileDropIngestor, emit: Emit, every_s: float) -> None:
    stop, halt = asyncio.Event(), threading.Event()  # halt: seen by the polling thread

    def on_signal() -> None:
        stop.set()
        halt.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, on_signal)
    while not stop.is_set():
        try:
            await asyncio.to_thread(poll, ingestor, emit, halt)
        except (sa.exc.DBAPIError, OSError) as error:
            err_console().print(f"poll failed, trying again: {type(error).__name__}: {error}")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every_s)


def _registered_root(ctx: HubContext, connection: str) -> Path:
    settings = load_connection_config(ctx, connection).view.settings
    root = settings.get("root") or settings.get("folder")
    if not root:
        fail(f"connection {connection!r} has no root folder setting; pass --folder")
    return Path(str(root))


def report_dict(report: FileReport) -> dict[str, Any]:
    return {
        "file": report.name,
        "status": report.status,
        "kind": report.kind,
        "digest": report.digest,
        "moved_to": str(report.moved_to),
        **report.summary(),
        "rejected": [
            {
                "where": r.where,
                "field": r.field,
                "message": r.message,
                "quarantine_id": r.quarantine_id,
            }
            for r in report.results
            if r.status == "quarantined"
        ],
        "reason": report.reason,
    }


def _print(report: FileReport, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(report_dict(report), separators=(",", ":")))
        return
    if report.status == "failed":
        console().print(f"{report.name}: failed, {report.reason}")
        return
    counts = report.summary()
    console().print(
        f"{report.name}: {report.kind}, applied {counts['applied']}, duplicate {counts['duplicate']},"
        f" quarantined {counts['quarantined']}"
    )
    for result in report.results:
        if result.status == "quarantined":
            console().print(f"  {result.message} (quarantine {result.quarantine_id})")
