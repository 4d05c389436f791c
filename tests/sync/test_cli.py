"""`stockbridge sync ...` end to end through typer, with the fake channel handed in as the factory."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stockbridge.connectors.base import Connector
from stockbridge.connectors.errors import PermanentError
from stockbridge.services.connections import ConnectionConfig
from stockbridge.services.context import HubContext
from stockbridge.sync.cli import app
from tests.conftest import fresh_sqlite_url
from tests.sync.fakes import FakeChannel
from tests.sync.helpers import CONNECTION, fake_for, hub_with_channel, is_dirty, item_of, set_stock


@pytest.fixture
def db_url(sqlite_template: Path, tmp_path: Path) -> str:
    """SQLite only: the services under these commands run on both databases in the other tests."""
    return fresh_sqlite_url(sqlite_template, tmp_path)


@pytest.fixture
def db(ctx: HubContext) -> str:
    return ctx.engine.url.render_as_string(hide_password=False)


def run(db: str, *args: str, fake: FakeChannel | None = None) -> tuple[int, str]:
    def factory(_config: ConnectionConfig) -> Connector:
        assert fake is not None
        return fake

    result = CliRunner().invoke(app, [*args, "--db", db], obj={"connector_factory": factory})
    return result.exit_code, result.output


def test_connections_are_added_and_listed_without_secret_values(ctx: HubContext, db: str) -> None:
    hub_with_channel(ctx, [])
    code, out = run(
        db,
        "connections",
        "add",
        "erp",
        "--platform",
        "files",
        "--setting",
        "folder=/drop",
        "--secret",
        "key=v4lue",
    )
    assert code == 0, out
    code, out = run(db, "connections", "list", "--json")
    rows = {r["code"]: r for r in json.loads(out)}
    assert rows["erp"]["secrets"] == ["key"] and rows["erp"]["settings"] == {"folder": "/drop"}
    assert "v4lue" not in out and "s3cret" not in out
    code, out = run(db, "connections", "add", "bad", "--platform", "files", "--secret", "just-a-token")
    assert code == 1 and "just-a-token" not in out


def test_bind_by_code_then_push_one_round(ctx: HubContext, db: str) -> None:
    hub_with_channel(ctx, ["A"], bound=False)
    fake = fake_for(["A"])
    set_stock(ctx, "A", 6)
    assert run(db, "bind", CONNECTION, "sku", item_of("A"), "A")[0] == 0
    code, out = run(db, "bindings", CONNECTION, "--json")
    assert [b["external_id"] for b in json.loads(out)] == [item_of("A")]

    code, out = run(db, "push", "--json", fake=fake)

    assert code == 0, out
    assert json.loads(out)[0]["applied"] == 1 and fake.level(item_of("A")) == 6


def test_reconcile_exits_1_on_drift_and_heal_fixes_it(ctx: HubContext, db: str) -> None:
    hub_with_channel(ctx, ["A"])
    fake = fake_for(["A"])
    set_stock(ctx, "A", 3)
    run(db, "push", fake=fake)
    fake.remote_levels[(item_of("A"), None)] = 9

    code, out = run(db, "reconcile", fake=fake)
    assert code == 1 and "wants 3, shows 9 (over 6)" in out
    code, out = run(db, "reconcile", "--heal", fake=fake)
    assert code == 0 and fake.level(item_of("A")) == 3
    assert run(db, "reconcile", fake=fake)[0] == 0


def test_dead_letters_are_listed_replayed_and_discarded(ctx: HubContext, db: str) -> None:
    hub_with_channel(ctx, ["A", "B"])
    fake = fake_for(["A", "B"])
    fake.item_errors = {item_of("A"): PermanentError("archived"), item_of("B"): PermanentError("gone")}
    set_stock(ctx, "A", 1)
    set_stock(ctx, "B", 1)
    run(db, "push", fake=fake)

    _, out = run(db, "dead-letters", "list", "--json")
    letters = json.loads(out)
    assert [d["reason"] for d in letters] == ["PermanentError: archived", "PermanentError: gone"]
    assert run(db, "dead-letters", "replay", str(letters[0]["id"]))[0] == 0 and is_dirty(ctx, "A")
    assert run(db, "dead-letters", "discard", str(letters[1]["id"]), "--reason", "deleted")[0] == 0
    code, out = run(db, "dead-letters", "list", "--status", "all", "--json")
    assert code == 0 and [d["status"] for d in json.loads(out)] == ["replayed", "discarded"]


def test_the_worker_command_runs_ticks_and_stops(ctx: HubContext, db: str) -> None:
    hub_with_channel(ctx, ["A"])
    fake = fake_for(["A"])
    set_stock(ctx, "A", 5)

    code, out = run(db, "worker", "--max-ticks", "2", "--interval", "0", "--reconcile-every", "0", fake=fake)

    assert code == 0 and "stopped after 2 ticks" in out
    assert fake.level(item_of("A")) == 5 and fake.closed


def test_status_shows_why_a_listing_was_not_pushed(ctx: HubContext, db: str) -> None:
    hub_with_channel(ctx, ["A", "B"], bound=False)
    assert run(db, "bind", CONNECTION, "sku", item_of("A"), "A")[0] == 0
    fake = fake_for(["A"])
    set_stock(ctx, "A", 2)
    set_stock(ctx, "B", 2)
    run(db, "push", fake=fake)

    code, out = run(db, "status", "--problems", "--json")

    assert code == 0
    assert [(r["sku"], r["last_error"]) for r in json.loads(out)] == [
        ("B", "skipped: SKU 'B' is not bound to a remote item on this connection")
    ]
    _, everything = run(db, "status", "--json")
    assert {r["sku"]: r["acked_quantity"] for r in json.loads(everything)} == {"A": 2, "B": None}


def test_the_worker_takes_its_breaker_threshold_and_cool_down(ctx: HubContext, db: str) -> None:
    hub_with_channel(ctx, ["A"])
    fake = fake_for(["A"])
    fake.outage = True
    set_stock(ctx, "A", 5)
    args = ("worker", "--max-ticks", "1", "--interval", "0", "--reconcile-every", "0", "--coalesce", "0")

    code, out = run(db, *args, "--breaker-threshold", "1", "--breaker-cool-down", "600", fake=fake)

    assert code == 0, out
    _, listed = run(db, "breakers", "--json")
    (row,) = json.loads(listed)
    assert (row["state"], row["consecutive_failures"]) == ("open", 1), "one failed call opened it"
    opened, retry = (datetime.fromisoformat(row[k]) for k in ("since", "retry_at"))
    assert retry - opened == timedelta(seconds=600)
    assert is_dirty(ctx, "A"), "nothing was lost: the listing waits for the channel"
