"""The real processes of a simulated world, on loopback: the emulators and the hub's own commands.

The hub runs as the product runs it, each piece its own subprocess (`sys.executable -m
stockbridge.cli ...`, what the `stockbridge` console script runs):

    api       `serve --no-auth`                      REST API and webhook endpoints
    worker    `sync worker --metrics-port M ...`     outbound pushes, scheduled reconciliation
    inbound   `inbound run --metrics-port N ...`     inbox processing, order polls
    files     `files watch --json ...`               a partner's drop folder (only when the
                                                     scenario has a file-drop warehouse)

Each gets free ports and its output in a log file of the run folder (`hub-api.log`,
`hub-worker.log`, `hub-inbound.log`, `hub-files.log`). `HubProcesses` can SIGKILL and restart the
API or the workers (what the crash-restart scenario does); `close()` stops everything it started (SIGTERM,
then SIGKILL after a grace period), and is safe to call twice, so callers put it in a `finally`.
Nothing here decides *when* to crash: that is the fault schedule's job.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.error import URLError
from urllib.request import urlopen

HOST = "127.0.0.1"
START_TIMEOUT_S = 60.0


class ProcessStartError(RuntimeError):
    """A subprocess exited or never became ready."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Child:
    """One subprocess and its log file."""

    name: str
    argv: list[str]
    log_path: Path
    env: dict[str, str]
    popen: subprocess.Popen[bytes] | None = None
    log: IO[bytes] | None = None
    starts: int = 0

    def start(self) -> None:
        self.log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            self.argv, stdout=self.log, stderr=subprocess.STDOUT, env=self.env, start_new_session=True
        )
        self.starts += 1

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL, no grace: what a crash looks like."""
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(timeout=30)
        self._close_log()

    def terminate(self) -> None:
        """SIGTERM: ask for a clean stop (see `stop`)."""
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)

    def stop(self, grace_s: float = 10.0) -> None:
        """SIGTERM, then SIGKILL if it is still running after `grace_s`."""
        self.terminate()
        if self.popen is not None and self.popen.poll() is None:
            try:
                self.popen.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                self.popen.send_signal(signal.SIGKILL)
                self.popen.wait(timeout=30)
        self._close_log()

    def _close_log(self) -> None:
        if self.log is not None:
            self.log.close()
            self.log = None

    def rss_kib(self) -> int | None:
        """Resident memory of the process, from /proc (Linux); None when not running."""
        if not self.alive or self.popen is None:
            return None
        try:
            for line in Path(f"/proc/{self.popen.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            return None
        return None


def stop_all(children: list[Child]) -> None:
    """Ask every child to stop at once, then wait for each (SIGKILL after the grace period)."""
    for child in children:
        child.terminate()
    for child in children:
        child.stop()


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def launch_emulator(platform: str, folder: Path) -> Child:
    """`python -m stockbridge.sandbox PLATFORM --port 0`, started (see `emulator_url`)."""
    argv = [sys.executable, "-m", "stockbridge.sandbox", platform, "--port", "0"]
    child = Child(platform, argv, folder / f"{platform}.log", _env())
    child.start()
    return child


def emulator_url(child: Child) -> str:
    """Wait for the emulator's `listening on <url>` line; its base URL."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        text = child.log_path.read_text(errors="replace")
        for line in text.splitlines():
            if line.startswith("listening on "):
                return line.removeprefix("listening on ").strip()
        if not child.alive:
            raise ProcessStartError(f"{child.name} emulator exited: {text[-800:]}")
        time.sleep(0.05)
    raise ProcessStartError(f"{child.name} emulator did not start within {START_TIMEOUT_S}s")


def wait_log_line(child: Child, prefix: str, offset: int, timeout_s: float = START_TIMEOUT_S) -> None:
    """Wait until the child's log, past `offset`, has a line starting with `prefix`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with child.log_path.open("rb") as log:
            log.seek(offset)
            text = log.read().decode(errors="replace")
        if any(line.startswith(prefix) for line in text.splitlines()):
            return
        if not child.alive:
            raise ProcessStartError(f"{child.name} exited during start-up:\n{text[-1500:]}")
        time.sleep(0.05)
    raise ProcessStartError(f"{child.name} did not say {prefix!r} within {timeout_s}s")


def wait_http_ok(url: str, child: Child, timeout_s: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not child.alive:
            tail = child.log_path.read_text(errors="replace")[-1500:]
            raise ProcessStartError(f"{child.name} exited during start-up:\n{tail}")
        with contextlib.suppress(URLError, OSError), urlopen(url, timeout=2) as answer:
            if answer.status == 200:
                return
        time.sleep(0.1)
    raise ProcessStartError(f"{child.name} not ready at {url} within {timeout_s}s")


def hub_command(*args: str) -> list[str]:
    """`stockbridge ARGS...` as this interpreter runs it (the console script's own module)."""
    return [sys.executable, "-m", "stockbridge.cli", *args]


@dataclass
class HubProcesses:
    """The hub's API, sync worker and inbound worker for one database. `worker_args` and
    `inbound_args` are passed on to `sync worker` and `inbound run` after `--db` and
    `--metrics-port`; with `files_args`, `files watch --db ... FILES_ARGS` runs as well."""

    database_url: str
    folder: Path
    worker_args: list[str] = field(default_factory=list)
    inbound_args: list[str] = field(default_factory=list)
    files_args: list[str] | None = None
    api_port: int = 0
    metrics_port: int = 0
    inbound_metrics_port: int = 0
    api: Child | None = None
    worker: Child | None = None
    inbound: Child | None = None
    files: Child | None = None

    @property
    def api_url(self) -> str:
        return f"http://{HOST}:{self.api_port}"

    @property
    def metrics_url(self) -> str:
        """The sync worker's Prometheus endpoint (propagation, push calls, dirty listings)."""
        return f"http://{HOST}:{self.metrics_port}/metrics"

    @property
    def inbound_metrics_url(self) -> str:
        """The inbound worker's Prometheus endpoint (inbox rows by status, passes, polls)."""
        return f"http://{HOST}:{self.inbound_metrics_port}/metrics"

    def start(self) -> None:
        self.api_port, self.metrics_port, self.inbound_metrics_port = free_port(), free_port(), free_port()
        db, env = ["--db", self.database_url], _env()
        api_argv = hub_command("serve", "--no-auth", *db, "--host", HOST, "--port", str(self.api_port))
        self.api = Child("api", api_argv, self.folder / "hub-api.log", env)
        worker_argv = hub_command("sync", "worker", *db, "--metrics-port", str(self.metrics_port))
        self.worker = Child("worker", worker_argv + self.worker_args, self.folder / "hub-worker.log", env)
        inbound_argv = hub_command("inbound", "run", *db, "--metrics-port", str(self.inbound_metrics_port))
        self.inbound = Child(
            "inbound", inbound_argv + self.inbound_args, self.folder / "hub-inbound.log", env
        )
        if self.files_args is not None:
            files_argv = hub_command("files", "watch", *db, *self.files_args)
            self.files = Child("files", files_argv, self.folder / "hub-files.log", env)
        for child in self.children():
            child.start()  # all boot at once (the schema is current: their checks change nothing)
        wait_http_ok(f"{self.api_url}/healthz", self.api)
        wait_http_ok(self.metrics_url, self.worker)
        wait_http_ok(self.inbound_metrics_url, self.inbound)
        if self.files is not None:
            wait_log_line(self.files, "watching ", 0)

    def start_api(self) -> None:
        assert self.api is not None
        self.api.start()
        wait_http_ok(f"{self.api_url}/healthz", self.api)

    def start_workers(self) -> None:
        """Start the workers (all boot at once) and wait until each serves metrics (or, the file
        watcher, says it is watching)."""
        assert self.worker is not None and self.inbound is not None
        offset = self.files.log_path.stat().st_size if self.files is not None else 0
        for child in self.workers():
            child.start()
        wait_http_ok(self.metrics_url, self.worker)
        wait_http_ok(self.inbound_metrics_url, self.inbound)
        if self.files is not None:
            wait_log_line(self.files, "watching ", offset)

    def kill_workers(self) -> None:
        """SIGKILL every worker, as a crash of the machine or container they share would."""
        for child in self.workers():
            child.kill()

    def workers(self) -> list[Child]:
        return [c for c in (self.worker, self.inbound, self.files) if c is not None]

    def children(self) -> list[Child]:
        return [c for c in (self.api, self.worker, self.inbound, self.files) if c is not None]

    def close(self) -> None:
        stop_all(self.children())


@dataclass
class EmulatorSet:
    """The emulator subprocesses of a run, by platform."""

    folder: Path
    children: dict[str, Child] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)

    def start(self, platforms: list[str]) -> None:
        for platform in platforms:
            self.children[platform] = launch_emulator(platform, self.folder)
        for platform in platforms:
            self.urls[platform] = emulator_url(self.children[platform])

    def close(self) -> None:
        stop_all(list(self.children.values()))
