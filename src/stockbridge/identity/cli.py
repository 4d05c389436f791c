"""`stockbridge customers ...`: resolve a CSV, generate test data, review merges.

Owns the command-line front: argument parsing, reading and writing files, printing a
one-line summary. The work is done by `resolver`, `explain`, `merges` and `csv_io`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
import typer

from stockbridge.identity import merges
from stockbridge.identity.csv_io import load_customers, write_clusters, write_customers, write_explanations
from stockbridge.identity.explain import explain_near_threshold, explain_pair
from stockbridge.identity.generator import generate_customers
from stockbridge.identity.resolver import ResolverConfig
from stockbridge.identity.resolver import resolve as resolve_records
from stockbridge.identity.store import MergeStore

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Customer identity resolution.")

_DB = typer.Option("sqlite:///customers.db", "--db", help="SQLAlchemy URL of the merge store.")


def _now() -> datetime:
    return datetime.now(UTC)


@app.command()
def resolve(
    input: Path = typer.Option(..., "--input", exists=True, dir_okay=False, help="customers CSV"),
    output: Path = typer.Option(..., "--output", help="where to write id,cluster_id"),
    explain: Path | None = typer.Option(None, "--explain", help="write per-field explanations here"),
    threshold: float = typer.Option(0.5, "--threshold", min=0.0001, max=0.9999, help="match probability"),
    country: str = typer.Option("GB", "--country", help="store country: default region for phones"),
    db: str | None = typer.Option(None, "--db", help="also store merge proposals in this database"),
    auto_accept: float | None = typer.Option(None, "--auto-accept", help="accept proposals at or above"),
) -> None:
    """Group the customers of INPUT into clusters of the same person."""
    records, problems = load_customers(input)
    for problem in problems:
        typer.echo(f"{input}:{problem.line}: skipped: {problem.message}", err=True)
    result = resolve_records(
        records, _now().date(), ResolverConfig(threshold=threshold, default_country=country)
    )
    write_clusters(output, result.ids, result.cluster_ids())
    if explain is not None:
        write_explanations(explain, explain_near_threshold(result, threshold))
    clusters = len(set(result.cluster_of.tolist()))
    typer.echo(f"{len(records)} records -> {clusters} customers; {len(problems)} rows skipped")
    if db is not None:
        store = _store(db)
        created = merges.propose_merges(result, records, store, _now, auto_accept)
        typer.echo(f"{len(created)} merge proposals stored")


@app.command()
def explain(
    input: Path = typer.Option(..., "--input", exists=True, dir_okay=False, help="customers CSV"),
    left: str = typer.Option(..., "--left", help="id of one record"),
    right: str = typer.Option(..., "--right", help="id of the other record"),
    threshold: float = typer.Option(0.5, "--threshold", min=0.0001, max=0.9999),
    country: str = typer.Option("GB", "--country"),
) -> None:
    """Show why two records of INPUT are (or are not) the same customer, field by field."""
    records, _ = load_customers(input)
    result = resolve_records(
        records, _now().date(), ResolverConfig(threshold=threshold, default_country=country)
    )
    try:
        item = explain_pair(result, left, right, threshold)
    except KeyError as error:
        typer.echo(f"unknown record id {error.args[0]!r}", err=True)
        raise typer.Exit(code=1) from error
    verdict = "match" if item.is_match else "non-match"
    typer.echo(
        f"{left} ~ {right}: {verdict}, probability {item.probability:.4f}, weight {item.match_weight:+.2f} bits"
    )
    typer.echo(f"  {'prior':14} {'':28} {item.prior_bits:+7.2f}")
    for part in item.contributions:
        values = f"{part.left_value!r} vs {part.right_value!r}"
        typer.echo(f"  {part.field:14} {part.level:28} {part.bits:+7.2f}  {values}")
    typer.echo(f"  same cluster: {item.same_cluster}")


@app.command()
def generate(
    output: Path = typer.Option(..., "--output"),
    count: int = typer.Option(10_000, "--count", min=1),
    seed: int = typer.Option(0, "--seed"),
    truth: bool = typer.Option(True, "--truth/--no-truth", help="add the true entity column"),
) -> None:
    """Write realistic synthetic shop customers (with known truth) to OUTPUT."""
    data = generate_customers(count, seed)
    write_customers(output, data.records, data.entities if truth else None)
    typer.echo(f"{len(data.records)} records written to {output}")


def _store(url: str) -> MergeStore:
    store = MergeStore(sa.create_engine(url))
    store.create_tables()
    return store


@app.command("proposals")
def list_proposals(db: str = _DB, status: str | None = typer.Option(None, "--status")) -> None:
    """List merge proposals."""
    for proposal in _store(db).list(status=status):
        typer.echo(
            f"{proposal.id}  {proposal.status:9}  {proposal.confidence:.3f}  {' '.join(proposal.record_ids)}"
        )


def _change(action: str, proposal_id: str, db: str, reviewer: str) -> None:
    store = _store(db)
    try:
        if action == "accept":
            result = merges.accept_merge(store, proposal_id, reviewer, _now)
        elif action == "reject":
            result = merges.reject_merge(store, proposal_id, reviewer, _now)
        elif action == "apply":
            result = merges.apply_merge(store, proposal_id, _now, reviewer)
        else:
            result = merges.undo_merge(store, proposal_id, _now, reviewer)
    except merges.MergeError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(code=1) from error
    typer.echo(f"{result.id} {result.status}")


@app.command()
def accept(proposal_id: str, db: str = _DB, reviewer: str = typer.Option("cli", "--reviewer")) -> None:
    """Accept a proposed merge."""
    _change("accept", proposal_id, db, reviewer)


@app.command()
def reject(proposal_id: str, db: str = _DB, reviewer: str = typer.Option("cli", "--reviewer")) -> None:
    """Reject a proposed (or accepted, not yet applied) merge."""
    _change("reject", proposal_id, db, reviewer)


@app.command("apply")
def apply_(proposal_id: str, db: str = _DB, reviewer: str = typer.Option("cli", "--reviewer")) -> None:
    """Apply an accepted merge to the cluster assignments."""
    _change("apply", proposal_id, db, reviewer)


@app.command()
def undo(proposal_id: str, db: str = _DB, reviewer: str = typer.Option("cli", "--reviewer")) -> None:
    """Undo an applied merge, restoring every member's previous cluster."""
    _change("undo", proposal_id, db, reviewer)
