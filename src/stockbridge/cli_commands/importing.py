"""`stockbridge import ...`: catalog (one JSON document, or CSV/JSON per kind) and stock events
(CSV, JSON, JSON Lines) with a progress bar and a report of every rejected row.
Formats: docs/import-formats.md.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from stockbridge.cli_commands import catalog_formats, stock_formats
from stockbridge.cli_commands.catalog_import import CatalogImportReport, import_catalog
from stockbridge.cli_commands.runtime import (
    EXIT_REJECTED_ROWS,
    DbOption,
    JsonOption,
    console,
    fail,
    hub,
    print_json,
    progress_bar,
)
from stockbridge.cli_commands.stock_import import BATCH_SIZE, StockImportReport, import_stock

app = typer.Typer(no_args_is_help=True, help="Import catalog data and stock events from CSV or JSON.")

FileArg = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="File to import.")]
SHOWN_REJECTS = 50
_STOCK_READERS = {
    ".csv": stock_formats.read_stock_csv,
    ".jsonl": stock_formats.read_stock_jsonl,
    ".ndjson": stock_formats.read_stock_jsonl,
}


@app.command("catalog")
def catalog_command(file: FileArg, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Import a catalog JSON document: locations, skus (units, aliases, bundles), channels, listings."""
    _catalog(file, None, db, as_json)


def _kind_command(kind: str) -> Callable[..., None]:
    def command(file: FileArg, db: DbOption = None, as_json: JsonOption = False) -> None:
        _catalog(file, kind, db, as_json)

    command.__doc__ = f"Import {kind} from a CSV file or a JSON list."
    return command


for _kind in catalog_formats.KINDS:
    app.command(_kind)(_kind_command(_kind))


@app.command("stock")
def stock_command(
    file: FileArg,
    db: DbOption = None,
    as_json: JsonOption = False,
    key_prefix: Annotated[
        str | None,
        typer.Option(help="Prefix of the idempotency key of rows without one. Default: the file name."),
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Events per transaction.")] = BATCH_SIZE,
) -> None:
    """Import stock events; rejected rows are reported by line and kept in the quarantine."""
    prefix = key_prefix or f"file:{file.name}"
    text = _read(file)
    reader = _STOCK_READERS.get(file.suffix.lower(), stock_formats.read_stock_json)
    try:
        rows = reader(text, prefix)
    except stock_formats.StockFileError as error:
        fail(f"{file}: {error}")
    with hub(db) as ctx, progress_bar(f"stock from {file.name}", len(rows)) as advance:
        report = import_stock(
            ctx, rows, source=f"import:{file.name}"[:200], batch_size=batch_size, on_batch=advance
        )
    if as_json:
        print_json(report.as_dict())
    else:
        _show_stock_report(report)
    if report.rejected:
        raise typer.Exit(EXIT_REJECTED_ROWS)


def _catalog(file: Path, kind: str | None, db: str | None, as_json: bool) -> None:
    text = _read(file)
    try:
        if file.suffix.lower() == ".csv":
            if kind is None:
                fail("a catalog CSV holds one kind: use `import locations|skus|channels|listings FILE`")
            rows = catalog_formats.read_catalog_csv(text, kind)
        else:
            rows = catalog_formats.read_catalog_json(text, kind)
    except catalog_formats.CatalogFileError as error:
        fail(f"{file}: {error}")
    with hub(db) as ctx, progress_bar(f"catalog from {file.name}", len(rows)) as advance:
        report = import_catalog(ctx, rows, on_row=lambda: advance(1))
    if as_json:
        print_json(report.as_dict())
    else:
        _show_catalog_report(report)
    if report.rejected:
        raise typer.Exit(EXIT_REJECTED_ROWS)


def _read(file: Path) -> str:
    """The file as text: UTF-8, with or without the byte order mark spreadsheets like to write."""
    try:
        return file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        fail(f"{file} is not UTF-8 text ({error.reason} at byte {error.start}); save it as UTF-8")


def _show_catalog_report(report: CatalogImportReport) -> None:
    out = console()
    defined = ", ".join(f"{n} {kind}" for kind, n in report.defined.items() if n) or "nothing"
    out.print(f"[green]defined[/] {defined}; [red]rejected[/] {len(report.rejected)}")
    if report.rejected:
        table = Table("kind", "where", "reason", title="Rejected catalog records")
        for row in report.rejected[:SHOWN_REJECTS]:
            table.add_row(row.kind, row.where, escape(row.error or ""))
        out.print(table)
        _more(len(report.rejected), "")


def _show_stock_report(report: StockImportReport) -> None:
    out = console()
    s = report.summary()
    out.print(
        f"[green]applied[/] {s['applied']}, [yellow]duplicate[/] {s['duplicate']},"
        f" [red]quarantined[/] {s['quarantined']}  (source {report.source})"
    )
    rejected = report.rejected
    if rejected:
        table = Table("where", "field", "reason", "quarantine id", title="Rejected rows")
        for r in rejected[:SHOWN_REJECTS]:
            table.add_row(r.where, escape(r.field or ""), escape(r.message or ""), str(r.quarantine_id or ""))
        out.print(table)
        _more(len(rejected), " (stockbridge quarantine list)")


def _more(count: int, hint: str) -> None:
    if count > SHOWN_REJECTS:
        console().print(f"... and {count - SHOWN_REJECTS} more{hint}; --json lists them all")
