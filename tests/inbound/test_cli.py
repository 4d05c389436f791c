"""The inbound commands, driven in-process on the shared databases with the fake connector."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from stockbridge.services.context import HubContext
from stockbridge.sync.inbound_cli import make_app
from tests.inbound.fakes import FakeConnector, order_payload
from tests.inbound.helpers import CONNECTION, at, balance, deliver, sqlite_only

pytestmark = sqlite_only


def run(fake: FakeConnector, *args: str) -> tuple[int, str]:
    result = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"}).invoke(make_app(fake.for_config), list(args))
    return result.exit_code, result.output


def test_inbox_list_process_requeue_and_oversells(shop: HubContext, fake: FakeConnector, db_url: str) -> None:
    deliver(shop, fake, "orders/create", order_payload("1", at(0), [("item-tee", "TEE", 9)]))
    deliver(shop, fake, "orders/create", order_payload("2", at(0), [("item-x", "NOPE", 1)]))
    code, out = run(fake, "inbox", "process", "--db", db_url, "--json")
    assert code == 0 and json.loads(out)["counts"] == {"done": 1, "quarantined": 1}
    code, out = run(fake, "inbox", "list", "--db", db_url, "--status", "quarantined", "--json")
    (row,) = json.loads(out)
    assert row["topic"] == "orders/create" and "NOPE" in row["error"]
    assert run(fake, "inbox", "requeue", str(row["id"]), "--db", db_url)[0] == 0
    assert run(fake, "inbox", "requeue", "999", "--db", db_url)[0] == 1
    code, out = run(fake, "oversells", "--db", db_url)
    assert code == 0 and "TEE@WH1: sold 9, had 5" in out


def test_poll_reads_stores_and_processes(shop: HubContext, fake: FakeConnector, db_url: str) -> None:
    fake.put_order(order_payload("7", at(0), [("item-tee", "TEE", 2)]))
    code, out = run(fake, "poll", CONNECTION, "--db", db_url, "--json")
    summary = json.loads(out)
    assert code == 0 and (summary["stored"], summary["processed"]) == (1, {"done": 1})
    assert fake.closed
    assert balance(shop, "TEE", "WH1").committed == 2
    assert run(fake, "poll", "nobody", "--db", db_url)[0] == 1


def test_run_works_the_inbox_until_sigterm(shop: HubContext, fake: FakeConnector, db_url: str) -> None:
    import signal
    import subprocess
    import sys
    import time

    from tests.inbound.helpers import inbox_rows

    deliver(shop, fake, "orders/create", order_payload("9", at(0), [("item-tee", "TEE", 1)]))
    code = "from stockbridge.sync.inbound_cli import app; app()"
    port = _free_port()
    args = [sys.executable, "-c", code, "run", "--db", db_url, "--no-poll", "--process-every-s", "0.05"]
    args += ["--metrics-port", str(port)]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30  # a bound on waiting, not an assertion on speed
        while inbox_rows(shop)[0].status == "pending" and time.monotonic() < deadline:
            time.sleep(0.05)
        metrics = _scrape(f"http://127.0.0.1:{port}/metrics", deadline)
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=30)
    finally:
        process.kill()
    (row,) = inbox_rows(shop)
    # The installed connectors know no platform `fake`: the row fails, visibly, with the reason.
    assert (row.status, process.returncode) == ("failed", 0)
    assert "no connector installed for platform 'fake'" in row.error
    assert "stopped; processed" in out
    assert 'stockbridge_inbox_rows{status="failed"} 1.0' in metrics
    assert 'stockbridge_inbox_processed_total{status="failed"} 1.0' in metrics


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _scrape(url: str, deadline: float) -> str:
    import time
    from urllib.request import urlopen

    while True:
        try:
            with urlopen(url, timeout=5) as answer:
                return str(answer.read().decode())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
