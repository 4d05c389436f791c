"""`stockbridge bench ...`: measured numbers, each run ending with one JSON object on its last line."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import Console

app = typer.Typer(no_args_is_help=True, help="Benchmarks: the hub against the bare database, same run.")
_console = Console(stderr=True)

DB_HELP = "Database server to benchmark on (a scratch database is made there, then dropped). Default: SQLite."


def _emit(result: dict[str, Any], as_json: bool) -> None:
    if not as_json:
        for key, value in result.items():
            _console.print(f"[bold]{key}[/bold]: {value}")
    print(json.dumps(result, sort_keys=True))


@app.command()
def ingest(
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    events: int = typer.Option(50_000, "--events", min=1000, help="Events to ingest."),
    skus: int = typer.Option(500, "--skus", min=1, help="Distinct SKUs (over 4 locations)."),
    batch: int = typer.Option(1000, "--batch", min=1, help="Events per transaction."),
    seed: int = typer.Option(1, "--seed"),
    as_json: bool = typer.Option(False, "--json", help="Print only the JSON result."),
) -> None:
    """Ledger ingest: events/s through the hub vs the same rows by plain batched SQL."""
    from stockbridge.bench.ingest import bench_ingest

    with _console.status(f"ingesting {events} events twice (hub, then baseline)"):
        result = bench_ingest(db, events, skus_count=skus, batch=batch, seed=seed)
    _emit(result.as_dict(), as_json)


@app.command()
def contention(
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    workers: int = typer.Option(8, "--workers", min=1, help="Competing processes."),
    stock: int = typer.Option(1000, "--stock", min=1, help="Units of the hot SKU."),
    attempts: int = typer.Option(2000, "--attempts", min=1, help="Reservations of one unit, in all."),
    as_json: bool = typer.Option(False, "--json", help="Print only the JSON result."),
) -> None:
    """Last-unit contention: reservations/s through the hub vs the bare conditional UPDATE."""
    from stockbridge.bench.contention import bench_contention

    with _console.status(f"{workers} processes x {attempts} attempts for {stock} units"):
        result = bench_contention(db, workers=workers, stock=stock, attempts=attempts)
    _emit(result.as_dict(), as_json)


@app.command()
def propagation(
    channels: str = typer.Option(
        "shopify,woocommerce", "--channels", help="Comma-separated: shopify, woocommerce."
    ),
    skus: int = typer.Option(500, "--skus", min=1, help="SKUs, each listed on every channel."),
    changes: int = typer.Option(
        2000, "--changes", min=1, help="Stock changes in the burst (and again, naively)."
    ),
    seed: int = typer.Option(1, "--seed"),
    ingest_batch: int = typer.Option(
        50,
        "--ingest-batch",
        min=1,
        help="Events per hub transaction in the burst (50: as the inbox applies a burst of webhooks).",
    ),
    coalesce: float = typer.Option(0.3, "--coalesce", min=0, help="The worker's coalescing window, seconds."),
    latency_target: float = typer.Option(
        1.0,
        "--latency-target",
        min=0,
        help="Seconds the adaptive window may stretch towards (0: fixed at --coalesce).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print only the JSON result."),
) -> None:
    """Burst of stock changes to every channel: calls vs the lower bound, latency, final drift."""
    import asyncio

    from stockbridge.bench.propagation import bench_propagation

    chosen = [c.strip() for c in channels.split(",") if c.strip()]
    with _console.status(f"{changes} changes over {skus} SKUs to {', '.join(chosen)}"):
        result = asyncio.run(
            bench_propagation(
                chosen,
                skus,
                changes,
                seed=seed,
                ingest_batch=ingest_batch,
                coalesce_s=coalesce,
                latency_target_s=latency_target or None,
            )
        )
    _emit(result.as_dict(), as_json)
