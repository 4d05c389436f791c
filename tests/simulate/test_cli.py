"""`simulate` and `demo` as the main CLI will run them (registered here on a bare typer app)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from stockbridge.simulate.cli import demo, simulate

pytestmark = pytest.mark.timeout(240)


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("simulate")(simulate)
    app.command("demo")(demo)
    return app


def test_simulate_prints_one_json_object_as_its_last_line(tmp_path: Path) -> None:
    args = [
        "simulate",
        "--scenario",
        "steady-day",
        "--seed",
        "4",
        "--duration",
        "3",
        "--rate",
        "15",
        "--json",
    ]
    result = CliRunner().invoke(_app(), [*args, "--folder", str(tmp_path)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    for key in (
        "scenario",
        "seed",
        "orders_attempted",
        "orders_accepted",
        "orders_rejected",
        "units_sold",
        "oversold_units",
        "undersold_units",
        "final_drift_units",
        "converged",
        "events_lost",
        "duplicates_dropped",
        "propagation_ms",
        "api_calls",
        "faults_injected",
        "wall_s",
    ):
        assert key in summary
    assert (summary["scenario"], summary["seed"]) == ("steady-day", 4)
    assert summary["converged"] is True and summary["oversold_units"] == 0 and summary["events_lost"] == 0
    assert set(summary["propagation_ms"]) >= {"p50", "p95", "p99", "max"}
    assert (tmp_path / "hub.db").exists()
    assert {"hub-api.log", "hub-worker.log", "hub-inbound.log"} <= {p.name for p in tmp_path.iterdir()}
    assert _processes_holding(tmp_path) == [], "every process the run started is gone"


def _processes_holding(folder: Path) -> list[int]:
    """Processes with a file open under `folder` (each child writes its log there)."""
    holders = []
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            links = [str(link.readlink()) for link in fd_dir.iterdir()]
        except OSError:
            continue
        if any(link.startswith(str(folder)) for link in links):
            holders.append(int(fd_dir.parent.name))
    return holders


def test_an_unknown_scenario_is_refused_with_the_known_ones() -> None:
    result = CliRunner().invoke(_app(), ["simulate", "--scenario", "nope", "--json"])
    assert result.exit_code == 2
    assert "flash-sale" in result.output


def test_the_demo_says_where_to_look_and_ends_with_the_summary() -> None:
    # warehouse-outage runs here only: PASS means converged, nothing oversold, nothing lost
    args = ["demo", "--scenario", "warehouse-outage", "--duration", "3", "--seed", "2"]
    result = CliRunner().invoke(_app(), args)
    assert result.exit_code == 0, result.output
    assert "/docs" in result.output and "/metrics" in result.output
    assert "PASS" in result.output and "oversold units" in result.output
    assert "location_offline: 1" in result.output
