"""`quarantine list|retry|discard`, `verify [--repair]` and `reservations expire`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from stockbridge.domain.clock import FrozenClock
from stockbridge.services.availability import list_balances
from stockbridge.services.catalog_skus import SkuSpec, define_sku
from stockbridge.services.context import HubContext
from stockbridge.services.reservations import ReserveLine, ReserveRequest, get_reservation, reserve
from stockbridge.store.schema import balances
from tests.cli.conftest import Invoke


def _receive_unknown_sku(invoke: Invoke, url: str, tmp_path: Path) -> int:
    path = tmp_path / "feed.csv"
    path.write_text("type,sku,location,quantity\nreceipt,MUG,WH1,4\nreceipt,SPOON,WH1,9\n")
    result = invoke("import", "stock", str(path), "--db", url, "--json")
    (rejected,) = json.loads(result.stdout)["rejected"]
    return int(rejected["quarantine_id"])


def test_quarantined_row_applies_on_retry_once_the_sku_exists(
    invoke: Invoke, with_catalog: str, hub_ctx: HubContext, tmp_path: Path
) -> None:
    qid = _receive_unknown_sku(invoke, with_catalog, tmp_path)
    listed = invoke("quarantine", "list", "--db", with_catalog)
    assert "unknown SKU 'SPOON'" in listed.stdout and "lines[0].sku" in listed.stdout
    still_bad = invoke("quarantine", "retry", str(qid), "--db", with_catalog)
    assert still_bad.exit_code == 1 and "open" in still_bad.stdout
    define_sku(hub_ctx, SkuSpec("SPOON", "Spoon"))
    retried = invoke("quarantine", "retry", str(qid), "--db", with_catalog, "--json")
    assert retried.exit_code == 0, retried.output
    assert json.loads(retried.stdout)[0]["status"] == "resolved"
    (spoon,) = list_balances(hub_ctx, sku="SPOON")
    assert spoon.quantities.on_hand == 9
    assert json.loads(invoke("quarantine", "list", "--db", with_catalog, "--json").stdout) == []


def test_discard_keeps_the_reason_and_closes_the_item(
    invoke: Invoke, with_catalog: str, tmp_path: Path
) -> None:
    qid = _receive_unknown_sku(invoke, with_catalog, tmp_path)
    result = invoke("quarantine", "discard", str(qid), "--reason", "test feed", "--db", with_catalog)
    assert result.exit_code == 0, result.output
    (item,) = json.loads(
        invoke("quarantine", "list", "--status", "all", "--db", with_catalog, "--json").stdout
    )
    assert (item["status"], item["message"]) == ("discarded", "discarded: test feed")
    again = invoke("quarantine", "discard", str(qid), "--reason", "twice", "--db", with_catalog)
    assert again.exit_code == 1 and "is discarded, not open" in again.stderr


def test_verify_passes_then_finds_a_tampered_balance_and_repairs_it(
    invoke: Invoke, with_catalog: str, hub_ctx: HubContext, tmp_path: Path
) -> None:
    _receive_unknown_sku(invoke, with_catalog, tmp_path)
    ok = invoke("verify", "--db", with_catalog)
    assert ok.exit_code == 0 and "ledger verified" in ok.stdout
    with hub_ctx.engine.begin() as conn:
        conn.execute(sa.update(balances).values(on_hand=balances.c.on_hand + 5))
    broken = invoke("verify", "--db", with_catalog, "--json")
    assert broken.exit_code == 1
    (mismatch,) = json.loads(broken.stdout)["mismatches"]
    assert (mismatch["live"]["on_hand"], mismatch["ledger"]["on_hand"]) == (9, 4)
    assert invoke("verify", "--repair", "--db", with_catalog).exit_code == 0
    assert invoke("verify", "--db", with_catalog).exit_code == 0
    (mug,) = list_balances(hub_ctx, sku="MUG")
    assert mug.quantities.on_hand == 4


def test_reservations_expire_releases_holds_whose_time_is_up(
    invoke: Invoke, with_catalog: str, hub_ctx: HubContext, tmp_path: Path
) -> None:
    _receive_unknown_sku(invoke, with_catalog, tmp_path)
    yesterday = HubContext(hub_ctx.engine, FrozenClock(datetime(2026, 1, 1, tzinfo=UTC)))
    held = reserve(yesterday, ReserveRequest("cart-1", [ReserveLine("MUG", 3, "WH1")], ttl_s=60))
    result = invoke("reservations", "expire", "--db", with_catalog, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"expired": 1}
    assert get_reservation(hub_ctx, held.id).status == "expired"
    (mug,) = list_balances(hub_ctx, sku="MUG")
    assert mug.quantities.reserved == 0
    assert "expired 0 reservation(s)" in invoke("reservations", "expire", "--db", with_catalog).stdout
