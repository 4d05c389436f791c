"""`balances`, `available` and `explain`: tables for people, --json for programs, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import EXAMPLES, Invoke


@pytest.fixture
def stocked(invoke: Invoke, with_catalog: str) -> str:
    result = invoke("import", "stock", str(EXAMPLES / "stock.csv"), "--db", with_catalog)
    assert result.exit_code == 0, result.output
    return with_catalog


def test_balances_as_json_filtered_by_sku(invoke: Invoke, stocked: str) -> None:
    result = invoke("balances", "--sku", "MUG", "--db", stocked, "--json")
    assert result.exit_code == 0, result.output
    rows = {r["location"]: r for r in json.loads(result.stdout)}
    assert set(rows) == {"WH1", "WH2"}
    wh1 = rows["WH1"]  # received 60, sold 2 + 2 in a gift set, shipped 2, one came back broken
    assert (wh1["on_hand"], wh1["committed"], wh1["damaged"]) == (60 - 2 + 1, 2, 1)
    assert wh1["available"] == 59 - 2 - 1


def test_balances_table_shows_the_counters_in_use_and_names_the_rest(invoke: Invoke, stocked: str) -> None:
    wh2 = invoke("balances", "--location", "WH2", "--db", stocked).stdout
    tee = next(line for line in wh2.splitlines() if "TEE-BLUE-M" in line)
    assert [cell.strip() for cell in tee.split("│")[1:-1]] == ["TEE-BLUE-M", "WH2", "35", "35"]
    caption = "zero everywhere: committed, reserved, incoming, in transit, damaged, QC, safety"
    assert caption in " ".join(wh2.split())  # the caption wraps at the table's width
    wh1 = invoke("balances", "--location", "WH1", "--db", stocked).stdout
    header = next(line for line in wh1.splitlines() if "sku" in line)
    assert [c.strip() for c in header.split("┃")[1:-1]] == [
        "sku", "location", "on hand", "committed", "damaged", "available",
    ]  # fmt: skip


def test_available_per_channel_applies_the_rules(invoke: Invoke, stocked: str) -> None:
    result = invoke("available", "--channel", "amazon", "--db", stocked, "--json")
    (listing,) = json.loads(result.stdout)
    assert listing["sku"] == "TEE-BLUE-M"
    # supply WH1 105 + WH2 35 = 140, minus buffer 1, 50% rounded down = 69, the listing's cap 10
    assert [s["after"] for s in listing["steps"]] == [140, 139, 69, 10, 10]
    assert listing["available_to_sell"] == 10
    table = invoke("available", "--db", stocked).stdout
    assert "supply 140, buffer→139, share→69, cap→10, stop_below→10" in table


def test_explain_listing_shows_the_steps_the_supply_and_the_events(invoke: Invoke, stocked: str) -> None:
    result = invoke("explain", "listing", "shop", "GIFT-SET", "--db", stocked)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Available to sell of GIFT-SET on shop: 33" in out
    assert "STORE-1" in out and "no (offline)" in out
    assert "MUG: 56 // 2 = 28" in out  # a bundle's supply is limited by its scarcest component
    assert "Recent events of MUG@WH1" in out and "order-5002" in out


def test_explain_balance_gives_the_formula_and_the_ledger_check(invoke: Invoke, stocked: str) -> None:
    result = invoke("explain", "balance", "MUG", "WH1", "--db", stocked)
    assert result.exit_code == 0, result.output
    assert "available = on_hand 59 - committed 2 - reserved 0 - damaged 1" in result.stdout
    assert "equals the ledger's sum of movements: yes" in result.stdout
    data = json.loads(invoke("explain", "balance", "MUG", "WH1", "--db", stocked, "--json").stdout)
    assert data["consistent_with_ledger"] is True
    assert [e["type"] for e in data["recent_events"]][:2] == ["return", "fulfil"]


def test_explaining_something_unknown_is_one_clear_error(invoke: Invoke, stocked: str) -> None:
    result = invoke("explain", "listing", "amazon", "MUG", "--db", stocked)
    assert result.exit_code == 1
    assert "no listing of 'MUG' on channel 'amazon'" in result.stderr
    assert "Traceback" not in result.output


def test_a_database_without_schema_asks_for_init(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("balances", "--db", f"sqlite:///{tmp_path}/empty.db")
    assert result.exit_code == 1
    assert "stockbridge init" in result.stderr
