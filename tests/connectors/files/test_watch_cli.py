"""`stockbridge files watch`: one poll with `--once`, and the long-running watcher as the product
runs it (a subprocess that ingests files as they are dropped and stops cleanly on SIGTERM)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from stockbridge.cli import get_app
from stockbridge.services.availability import list_balances
from stockbridge.services.connections import ConnectionSpec, register_connection
from stockbridge.services.context import HubContext
from stockbridge.services.quarantine import list_quarantine

MOVEMENTS = "type,sku,location,quantity,unit,reference\nreceipt,AB-12,01,1,case,GRN-1\nreceipt,MUG,WH1,4,,GRN-1, torn\n"
SNAPSHOT = {"snapshot": [{"sku": "MUG", "location": "WH2", "quantity": 3}]}


def url_of(ctx: HubContext) -> str:
    return ctx.engine.url.render_as_string(hide_password=False)


def on_hand(ctx: HubContext, sku: str, location: str) -> int:
    (view,) = list_balances(ctx, sku=sku, location=location)
    return view.quantities.on_hand


def put(folder: Path, name: str, text: str) -> None:
    """Drop a file as a careful partner does: write a temporary name, then rename it in."""
    inbox = folder / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / f".{name}.tmp").write_text(text)
    (inbox / f".{name}.tmp").rename(inbox / name)


def watch_once(ctx: HubContext, *args: str) -> tuple[int, list[dict[str, object]]]:
    argv = ["files", "watch", "--once", "--json", "--settle-polls", "0", "--db", url_of(ctx), *args]
    result = CliRunner().invoke(get_app(), argv)
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return result.exit_code, lines


def test_one_poll_reports_each_file_and_quarantines_a_malformed_row_by_line(
    hub: HubContext, tmp_path: Path
) -> None:
    folder = tmp_path / "drop"
    put(folder, "grn-1.csv", MOVEMENTS)
    put(folder, "stock.json", json.dumps(SNAPSHOT))

    code, reports = watch_once(hub, "--connection", "erp", "--folder", str(folder))

    assert code == 3, "a row was quarantined"
    grn, stock = reports
    assert (grn["file"], grn["kind"], grn["applied"], grn["quarantined"]) == ("grn-1.csv", "movements", 1, 1)
    (rejected,) = grn["rejected"]  # type: ignore[misc]
    assert rejected["where"] == "line 3" and rejected["message"].startswith("grn-1.csv line 3:")
    assert (stock["kind"], stock["applied"]) == ("snapshot", 1)
    assert (on_hand(hub, "TEE", "WH1"), on_hand(hub, "MUG", "WH2")) == (12, 3)
    (item,) = list_quarantine(hub, status="open")
    assert (item.error_code, item.source) == ("malformed_row", "files:erp/grn-1.csv")
    assert not list((folder / "inbox").iterdir()) and len(list((folder / "done").iterdir())) == 2


def test_the_folder_defaults_to_the_registered_connections_root(hub: HubContext, tmp_path: Path) -> None:
    folder = tmp_path / "erp-drop"
    register_connection(hub, ConnectionSpec("erp", "files", settings={"root": str(folder)}))
    put(folder, "stock.json", json.dumps(SNAPSHOT))

    code, (report,) = watch_once(hub, "--connection", "erp")

    assert (code, report["applied"]) == (0, 1)
    assert on_hand(hub, "MUG", "WH2") == 3


def test_the_watcher_ingests_drops_as_they_come_and_a_redrop_applies_nothing(
    hub: HubContext, tmp_path: Path
) -> None:
    folder, log = tmp_path / "drop", tmp_path / "watch.log"
    argv = [sys.executable, "-m", "stockbridge.cli", "files", "watch", "--connection", "erp"]
    argv += [
        "--folder",
        str(folder),
        "--every-s",
        "0.05",
        "--settle-polls",
        "0",
        "--json",
        "--db",
        url_of(hub),
    ]
    with log.open("wb") as out:
        watcher = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
        try:
            clean = MOVEMENTS.replace(", torn", "")
            put(folder, "grn-2.csv", clean)
            reports = wait_for_reports(log, 1)
            put(folder, "grn-2.csv", clean)  # the partner sends the same file again
            reports = wait_for_reports(log, 2)
        finally:
            watcher.send_signal(signal.SIGTERM)
            assert watcher.wait(timeout=30) == 0
    first, again = reports
    assert (first["applied"], first["duplicate"]) == (2, 0)
    assert (again["applied"], again["duplicate"]) == (0, 2)
    assert (on_hand(hub, "TEE", "WH1"), on_hand(hub, "MUG", "WH1")) == (12, 4)
    assert "stopped; files processed: 2" in log.read_text()


def wait_for_reports(log: Path, count: int, timeout_s: float = 60.0) -> list[dict[str, object]]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
        if len(lines) >= count:
            return lines
        time.sleep(0.05)
    raise AssertionError(f"no {count} reports within {timeout_s}s:\n{log.read_text()}")
