"""`stockbridge import stock`: CSV, JSON and JSON Lines; rejected rows by line number and in the
quarantine; re-importing the same file is a no-op; malformed rows never stop the run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from stockbridge.services.availability import list_balances
from stockbridge.services.context import HubContext
from stockbridge.services.quarantine import list_quarantine
from stockbridge.store.engine import make_engine
from tests.cli.conftest import EXAMPLES, Invoke
from tests.conftest import truncate_pg


def _import(invoke: Invoke, url: str, path: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    result = invoke("import", "stock", str(path), "--db", url, "--json", *extra)
    return result.exit_code, json.loads(result.stdout)


def _on_hand(ctx: HubContext, sku: str, location: str) -> int:
    (view,) = list_balances(ctx, sku=sku, location=location)
    return view.quantities.on_hand


def test_example_csv_applies_every_row_and_a_second_import_is_all_duplicates(
    invoke: Invoke, with_catalog: str, hub_ctx: HubContext
) -> None:
    code, first = _import(invoke, with_catalog, EXAMPLES / "stock.csv")
    assert code == 0, first
    # 14 data lines; lines 6-7 share idempotency_key order-5001 and are one two-line sale
    assert (first["applied"], first["duplicate"], first["quarantined"]) == (13, 0, 0)
    code, again = _import(invoke, with_catalog, EXAMPLES / "stock.csv")
    assert (code, again["applied"], again["duplicate"]) == (0, 0, 13)
    assert _on_hand(hub_ctx, "TEE-BLUE-M", "WH1") == 120 - 2 - 12  # 10 cases, shipped 2, a case moved
    assert _on_hand(hub_ctx, "MUG", "WH2") == 11  # counted
    (tee_wh2,) = list_balances(hub_ctx, sku="TEE-BLUE-M", location="WH2")
    assert tee_wh2.quantities.on_hand == 24 + 12 - 1 and tee_wh2.quantities.in_transit == 0


def test_example_json_with_multi_line_events_and_aliases(
    invoke: Invoke, with_catalog: str, hub_ctx: HubContext
) -> None:
    code, report = _import(invoke, with_catalog, EXAMPLES / "stock.json")
    assert (code, report["applied"], report["rejected"]) == (0, 3, [])
    (tee,) = list_balances(hub_ctx, sku="TEE-BLUE-M", location="WH1")
    assert (tee.quantities.on_hand, tee.quantities.committed) == (12, 1)  # AB-12 at "01" (erp): a case
    code, again = _import(invoke, with_catalog, EXAMPLES / "stock.json")
    assert (code, again["duplicate"]) == (0, 3)


def test_rejected_rows_are_reported_by_line_kept_in_quarantine_and_the_rest_applied(
    invoke: Invoke, with_catalog: str, hub_ctx: HubContext
) -> None:
    result = invoke("import", "stock", str(EXAMPLES / "stock-with-errors.csv"), "--db", with_catalog)
    assert result.exit_code == 3, result.output
    assert "applied 1, duplicate 0, quarantined 5" in result.stdout
    for line, reason in [
        ("line 3", "unknown SKU 'MUG-XL'"),
        ("line 4", "not a whole number"),
        ("line 5", "an adjustment needs a reason"),
        ("line 6", "7 fields but the header has 6"),
        ("line 7", "insufficient stock"),
    ]:
        row = next(r for r in result.stdout.splitlines() if f"│ {line} " in r)
        assert reason in row, row
    quarantined = list_quarantine(hub_ctx)
    assert len(quarantined) == 5
    assert {q.source for q in quarantined} == {"import:stock-with-errors.csv"}
    assert _on_hand(hub_ctx, "MUG", "WH1") == 12


def test_identical_rows_in_one_file_are_two_events(
    invoke: Invoke, with_catalog: str, hub_ctx: HubContext, tmp_path: Path
) -> None:
    path = tmp_path / "twice.csv"
    path.write_text("type,sku,location,quantity\nreceipt,MUG,WH1,5\nreceipt,MUG,WH1,5\n")
    code, report = _import(invoke, with_catalog, path)
    assert (code, report["applied"]) == (0, 2)
    assert _on_hand(hub_ctx, "MUG", "WH1") == 10


def test_a_row_changed_under_an_old_line_number_is_a_conflict_not_a_second_receipt(
    invoke: Invoke, with_catalog: str, hub_ctx: HubContext, tmp_path: Path
) -> None:
    path = tmp_path / "daily.csv"
    path.write_text("type,sku,location,quantity\nreceipt,MUG,WH1,5\n")
    _import(invoke, with_catalog, path)
    path.write_text("type,sku,location,quantity\nreceipt,MUG,WH1,7\nreceipt,MUG,WH2,1\n")
    code, report = _import(invoke, with_catalog, path)
    assert code == 3 and report["applied"] == 1
    assert report["rejected"][0]["where"] == "line 2"
    assert "already used for a different event" in report["rejected"][0]["message"]
    assert _on_hand(hub_ctx, "MUG", "WH1") == 5


def test_small_batches_give_the_same_result(invoke: Invoke, with_catalog: str, hub_ctx: HubContext) -> None:
    code, report = _import(invoke, with_catalog, EXAMPLES / "stock.csv", "--batch-size", "4")
    assert (code, report["applied"]) == (0, 13)
    assert _on_hand(hub_ctx, "MUG", "WH2") == 11


def test_a_bad_header_refuses_the_file_before_anything_is_applied(
    invoke: Invoke, with_catalog: str, hub_ctx: HubContext, tmp_path: Path
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("type,sku,warehouse,qty\nreceipt,MUG,WH1,5\n")
    result = invoke("import", "stock", str(path), "--db", with_catalog)
    assert result.exit_code == 1
    assert "unknown: ['warehouse', 'qty']" in result.stderr
    assert list_balances(hub_ctx) == []


def test_json_lines_with_a_broken_line(invoke: Invoke, with_catalog: str, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(
        '{"type": "receipt", "sku": "MUG", "location": "WH1", "quantity": 3}\n\n{"type": "receipt", "sku": \n'
    )
    code, report = _import(invoke, with_catalog, path)
    assert (code, report["applied"]) == (3, 1)
    assert report["rejected"][0]["where"] == "line 3"
    assert "not valid JSON" in report["rejected"][0]["message"]


def test_a_row_the_database_refuses_is_quarantined_and_its_batch_still_applies(
    invoke: Invoke, pg_database: str, tmp_path: Path
) -> None:
    """PostgreSQL only: SQLite does not enforce VARCHAR lengths."""
    truncate_pg(pg_database)
    assert invoke("import", "catalog", str(EXAMPLES / "catalog.json"), "--db", pg_database).exit_code == 0
    path = tmp_path / "long-key.csv"
    rows = [f"receipt,MUG,WH1,{n},key-{n}" for n in range(1, 6)]
    rows[2] = "receipt,MUG,WH1,100," + "k" * 400  # longer than the key column: refused, naming the field
    path.write_text("type,sku,location,quantity,idempotency_key\n" + "\n".join(rows) + "\n")
    code, report = _import(invoke, pg_database, path)
    assert (code, report["applied"], report["quarantined"]) == (3, 4, 1)
    (refused,) = report["rejected"]
    assert refused["where"] == "line 4" and "at most 300 characters" in refused["message"]
    engine = make_engine(pg_database)
    try:
        assert _on_hand(HubContext(engine), "MUG", "WH1") == 1 + 2 + 4 + 5
    finally:
        engine.dispose()
