"""Short runs of every scenario with fixed seeds, the hub in its real processes against the
emulated stores: nothing oversold, nothing lost or applied twice, every channel converged, the
ledger consistent and the hub's balances equal to what the warehouses and channels recorded.

The file-drop run's ERP warehouse is judged from the outside too: its malformed line is read back
from the run's database through `stockbridge quarantine list`.

The runs are mostly waiting (for stores, for the hub to settle), so a module fixture starts them
all at once in threads, each on its own loopback ports and folder; each test then judges its own
run. Each run stops every process it started, also when it fails. Properties only, no timings: the
settling wait is generous because the hub heals a channel left *below* its level only after the
reconciler's 30 s "under" grace (sync.reconcile), and the machine may be busy.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stockbridge.cli import get_app
from stockbridge.simulate.report import RunReport
from stockbridge.simulate.runner import RunOptions, run
from stockbridge.simulate.scenarios import get_scenario

pytestmark = pytest.mark.timeout(400)
SEED = 11
SHORT = {  # scenario -> (seconds of trading, orders per second)
    "flash-sale": (2.0, 150.0),
    "webhook-chaos": (3.0, 15.0),
    "channel-outage": (4.0, 10.0),
    "throttle": (3.0, 10.0),
    "crash-restart": (4.0, 10.0),
    "returns-and-transfers": (4.0, 10.0),
    "erp-file-drop": (4.0, 10.0),
}


def short_run(name: str, folder: Path) -> RunReport:
    duration, rate = SHORT[name]
    scenario = get_scenario(name).with_overrides(duration, rate)
    return run(RunOptions(scenario, SEED, folder=folder, quiesce_timeout_s=150))


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {name: tmp_path_factory.mktemp(name) for name in SHORT}


@pytest.fixture(scope="module")
def runs(folders: dict[str, Path]) -> Iterator[dict[str, Future[RunReport]]]:
    with ThreadPoolExecutor(max_workers=len(SHORT)) as pool:
        yield {name: pool.submit(short_run, name, folders[name]) for name in SHORT}


def assert_sound(report: RunReport) -> None:
    d = report.data
    assert d["orders_accepted"] > 0
    assert d["events_lost"] == 0, d["per_sku"]
    assert d["applied_twice_units"] == 0, d["per_sku"]
    assert d["final_drift_units"] == 0, d["drifts"]
    assert d["converged"] and d["quiesced"]
    assert d["ledger_consistent"]
    assert d["balance_mismatch_units"] == 0, d["per_sku"]
    assert set(d["inbox_rows"]) <= {"done"}, "every acknowledged delivery was applied"
    assert d["oversold_units"] == 0, d["per_sku"]


@pytest.mark.parametrize(("name", "fault"), [("channel-outage", "channel_down"), ("throttle", "throttle")])
def test_faults_neither_oversell_nor_lose_and_every_channel_converges(
    name: str, fault: str, runs: dict[str, Future[RunReport]]
) -> None:
    report = runs[name].result()
    assert_sound(report)
    assert report.data["faults_injected"][fault] >= 1


def test_duplicated_webhooks_are_acknowledged_and_dropped(runs: dict[str, Future[RunReport]]) -> None:
    report = runs["webhook-chaos"].result()
    assert_sound(report)
    assert report.data["faults_injected"]["webhook_chaos"] == 2
    assert report.data["duplicates_dropped"] > 0


def test_killed_hub_processes_come_back_and_nothing_is_applied_twice(
    runs: dict[str, Future[RunReport]],
) -> None:
    report = runs["crash-restart"].result()
    assert_sound(report)
    assert report.data["faults_injected"] == {"kill_api": 2, "kill_worker": 3}
    assert report.data["hub_restarts"] == {"api": 2, "worker": 3, "inbound": 3}  # both workers die


def test_returns_transfers_and_counts_keep_the_books_equal(runs: dict[str, Future[RunReport]]) -> None:
    report = runs["returns-and-transfers"].result()
    assert_sound(report)
    assert sum(row["shipped"] for row in report.data["per_sku"].values()) > 0


def test_a_flash_sale_never_oversells_loses_nothing_and_converges(runs: dict[str, Future[RunReport]]) -> None:
    report = runs["flash-sale"].result()
    assert_sound(report)
    assert report.data["orders_rejected"] > 0, "the crowd outnumbers the stock"
    hot = report.data["per_sku"]["FLASH-001"]
    assert hot["sold"] <= hot["supply"], hot
    # whether the crowd bought the very last unit inside the short trading window depends on how
    # fast this machine lets the hub offer it again; that it is on offer at the end does not
    assert hot["sold"] + hot["shown"] >= hot["supply"], f"a unit not sold is stranded: {hot}"


def test_a_file_drop_warehouse_quarantines_its_malformed_line_and_a_resent_file_applies_nothing(
    runs: dict[str, Future[RunReport]], folders: dict[str, Path]
) -> None:
    report = runs["erp-file-drop"].result()
    assert_sound(report)
    d, drop = report.data, report.data["file_drop"]
    assert d["faults_injected"] == {"malformed_rows": 1, "duplicate_files": 1}
    assert sum(row["via_files"] for row in d["per_sku"].values()) > 0, "the ERP's receipts are supply"
    assert (drop["files_failed"], drop["files_not_picked_up"], drop["unexpected_quarantined"]) == (0, 0, [])
    (bad,) = drop["malformed_rows"]
    assert bad["quarantined"], drop
    (resent,) = drop["resent"]
    assert resent["reports"] == 1 and resent["applied"] == 0 and resent["duplicate"] > 0, resent
    assert drop["gap_before_closing_units"] == 0, (
        "the hub's WH2 matched the ERP's files before its closing count"
    )
    db = f"sqlite:///{folders['erp-file-drop'] / 'hub.db'}"
    listed = CliRunner().invoke(get_app(), ["quarantine", "list", "--status", "all", "--json", "--db", db])
    assert listed.exit_code == 0, listed.output
    items = [
        i for i in json.loads(listed.stdout) if i["message"].startswith(f"{bad['file']} line {bad['line']}:")
    ]
    assert items and {i["error_code"] for i in items} == {"malformed_row"}
    assert {i["source"] for i in items} == {f"files:erp/{bad['file']}"}
