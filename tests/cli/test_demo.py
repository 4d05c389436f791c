"""`stockbridge demo` runs the whole core offline and ends with a verified ledger."""

from __future__ import annotations

from tests.cli.conftest import Invoke


def test_demo_on_a_given_database_shows_every_section(invoke: Invoke, db_url: str) -> None:
    result = invoke("tour", "--db", db_url, "--orders", "4", "--seed", "3")
    assert result.exit_code == 0, result.output
    out = result.stdout
    for expected in (
        "catalog: 2 locations, 4 skus, 2 channels, 7 listings",
        "1 applied, 1 duplicate",  # the ERP re-sends a receipt under its own codes
        "refused, would oversell",  # cart 4 asks for more tees than exist
        "Balances",
        "Available to sell of TEE-BLUE-M on marketplace",
        "unknown SKU 'TEE-GREEN-XL'",
        "ledger verified",
    ):
        assert expected in out, expected
    assert "1 reservation(s) expired" in out  # cart 3's gift set, after its ten minutes


def test_demo_run_twice_on_one_database_changes_nothing(invoke: Invoke, db_url: str) -> None:
    first = invoke("tour", "--db", db_url, "--orders", "2")
    balances = invoke("balances", "--db", db_url, "--json").stdout
    second = invoke("tour", "--db", db_url, "--orders", "2")
    assert (first.exit_code, second.exit_code) == (0, 0)
    assert invoke("balances", "--db", db_url, "--json").stdout == balances
    assert "5 duplicate" in second.stdout  # the morning's receipts, recorded once


def test_demo_without_db_uses_a_fresh_temporary_sqlite_file(invoke: Invoke) -> None:
    result = invoke("tour", "--orders", "0")
    assert result.exit_code == 0, result.output
    assert "database: sqlite:///" in result.stdout and "stockbridge-demo-" in result.stdout
