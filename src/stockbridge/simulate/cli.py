"""`stockbridge simulate` and `stockbridge demo`: typer command functions the main CLI registers.

`simulate` runs one scenario with one seed and prints the audited summary: with `--json`, one
JSON object as the last line of stdout (progress goes to stderr); otherwise a human table. It
exits 1 when the run oversold, lost events or did not converge, so scripts can gate on it.
`demo` runs the scripted trading day (or any scenario) in a temporary folder on SQLite with a live
progress display, prints where to look while it runs, then the summary; `--keep-running` leaves
everything up until Ctrl+C.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.live import Live as RichLive
from rich.table import Table

from stockbridge.simulate.processes import HubProcesses
from stockbridge.simulate.report import RunReport, render
from stockbridge.simulate.runner import RunOptions, run
from stockbridge.simulate.scenarios import DEMO_SCENARIO, SCENARIOS, Scenario, get_scenario

ScenarioOption = Annotated[str, typer.Option("--scenario", help=f"One of: {', '.join(SCENARIOS)}.")]
SeedOption = Annotated[int, typer.Option("--seed", help="Same seed, same orders and faults.")]
DurationOption = Annotated[
    float | None, typer.Option("--duration", min=0.5, help="Seconds of trading (default: the scenario's).")
]


def simulate(
    scenario: ScenarioOption,
    seed: SeedOption = 1,
    duration: DurationOption = None,
    rate: Annotated[
        float | None, typer.Option("--rate", min=0.1, help="Orders per second (default: the scenario's).")
    ] = None,
    json: Annotated[bool, typer.Option("--json", help="Print one JSON object as the last line.")] = False,
    folder: Annotated[
        Path | None, typer.Option("--folder", help="Keep the run's database and logs here.")
    ] = None,
) -> None:
    """Run one trading scenario against the emulated stores, then audit the hub independently."""
    chosen = _scenario(scenario).with_overrides(duration, rate)
    err = Console(stderr=True)

    def progress(stage: str, data: dict[str, Any]) -> None:
        if stage not in ("tick", "waiting for rest"):
            err.print(f"[dim]{stage}[/] {_fields(data)}")

    report = run(RunOptions(chosen, seed, folder=folder, progress=progress))
    if json:
        sys.stdout.write(jsonlib.dumps(report.summary(), separators=(",", ":")) + "\n")
    else:
        render(report, Console())
    if not report.ok:
        raise typer.Exit(1)


def demo(
    seed: SeedOption = 1,
    duration: DurationOption = None,
    scenario: ScenarioOption = DEMO_SCENARIO,
    keep_running: Annotated[
        bool,
        typer.Option("--keep-running", help="Leave the hub and stores up after the summary (Ctrl+C stops)."),
    ] = False,
) -> None:
    """A trading day with a flash sale on a throwaway hub: live progress, then the audited summary."""
    chosen = _scenario(scenario).with_overrides(duration, None)
    console = Console()
    console.print(f"[bold]stockbridge demo[/]: {chosen.name} for {chosen.duration_s:g} s, seed {seed}")
    console.print(f"[dim]{chosen.description}[/]")
    board = _Board(console)
    options = RunOptions(
        chosen,
        seed,
        progress=board.update,
        on_ready=board.where_to_look,
        after_report=_holder(console, keep_running),
    )
    try:
        with RichLive(board.table(), console=console, refresh_per_second=4, transient=True) as live:
            board.live = live
            report = run(options)
    except KeyboardInterrupt:
        console.print("stopped; every process the demo started is down.")
        return
    if not keep_running:
        render(report, console)
    if not report.ok:
        raise typer.Exit(1)


class _Board:
    """The live progress table of the demo."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.live: RichLive | None = None
        self.state: dict[str, str] = {"stage": "starting"}

    def table(self) -> Table:
        table = Table(show_header=False, box=None)
        for key, value in self.state.items():
            table.add_row(f"[cyan]{key}[/]", value)
        return table

    def update(self, stage: str, data: dict[str, Any]) -> None:
        if stage == "tick":
            self.state["trading"] = (
                f"{data['t_s']} s, {data['placed']} orders placed, {data['accepted']} accepted"
            )
        elif stage == "waiting for rest":
            self.state["settling"] = _fields(data)
        else:
            self.state["stage"] = f"{stage} {_fields(data)}".strip()
        if self.live is not None:
            self.live.update(self.table())

    def where_to_look(self, hub: HubProcesses, stores: dict[str, str]) -> None:
        self.console.print(f"  API docs     {hub.api_url}/docs")
        self.console.print(f"  balances     {hub.api_url}/api/v1/balances")
        self.console.print(f"  metrics      {hub.api_url}/metrics (API)")
        self.console.print(f"               {hub.metrics_url} (sync worker)")
        self.console.print(f"               {hub.inbound_metrics_url} (inbound worker)")
        for platform, url in stores.items():
            self.console.print(f"  {platform:<12} {url}/_emulator/state")
        if hub.files is not None:
            self.console.print(f"  ERP drop     {hub.folder / 'erp-drop'} (inbox/, done/, failed/)")
        self.console.print(f"  logs, db     {hub.folder}")


def _holder(console: Console, keep_running: bool) -> Callable[[RunReport], Awaitable[None]]:
    async def hold(report: RunReport) -> None:
        if not keep_running:
            return
        render(report, console)
        console.print("\n[bold]still running[/] — explore the URLs above; Ctrl+C stops everything.")
        await asyncio.Event().wait()

    return hold


def _scenario(name: str) -> Scenario:
    try:
        return get_scenario(name)
    except KeyError as error:
        raise typer.BadParameter(str(error.args[0]), param_hint="--scenario") from None


def _fields(data: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in data.items())
