"""The circuit breaker of each channel is recorded in `channel_breakers` by the worker and visible
everywhere a person looks: the table, `sync breakers`, `sync status`, the REST API and the API's
/metrics; a restarted worker resumes an open breaker until its cool-down ends (fake clock)."""

from __future__ import annotations

import asyncio
import json
import random
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, generate_latest
from pydantic import SecretStr
from typer.testing import CliRunner

from stockbridge.api import create_app
from stockbridge.connectors.base import Connector
from stockbridge.domain.clock import FrozenClock
from stockbridge.services.connections import ConnectionConfig, ConnectionView
from stockbridge.services.context import HubContext
from stockbridge.settings import Settings
from stockbridge.store.schema_sync import channel_breakers
from stockbridge.sync.breaker import BreakerBoard, BreakerSnapshot, CircuitBreaker, describe_error
from stockbridge.sync.breaker_store import DbBreakerStore, list_breakers
from stockbridge.sync.cli import app as sync_cli
from stockbridge.sync.metrics import HubStateCollector, SyncMetrics
from stockbridge.sync.pusher import PushConfig, Pusher
from stockbridge.sync.retry import Retrier, RetryPolicy
from tests.sync.conftest import RecordingSleep
from tests.sync.fakes import FakeChannel
from tests.sync.helpers import CHANNEL, CONNECTION, fake_for, hub_with_channel, item_of, set_stock

API_KEY = "breaker-key-0123456789"
COOL_DOWN = 30.0


def worker_pusher(
    ctx: HubContext, clock: FrozenClock, metrics: SyncMetrics | None = None, *, threshold: int = 2
) -> Pusher:
    """A pusher as the worker builds one (breakers recorded in the database), one attempt per call."""
    board = BreakerBoard(
        clock,
        failure_threshold=threshold,
        cool_down_s=COOL_DOWN,
        on_change=None if metrics is None else metrics.breaker_changed,
        store=DbBreakerStore(ctx),
    )
    retrier = Retrier(RetryPolicy(max_attempts=1), RecordingSleep(), random.Random(7))
    return Pusher(ctx, breakers=board, retrier=retrier, metrics=metrics, config=PushConfig())


def stored(ctx: HubContext) -> dict[str, object]:
    with ctx.read() as conn:
        rows = [dict(r._mapping) for r in conn.execute(sa.select(channel_breakers))]
    assert len(rows) == 1, rows
    return rows[0]


def open_the_breaker(ctx: HubContext, clock: FrozenClock) -> tuple[ConnectionView, FakeChannel, datetime]:
    view = hub_with_channel(ctx, ["A"])
    fake = fake_for(["A"], start=0)
    set_stock(ctx, "A", 3)
    fake.outage = True
    pusher = worker_pusher(ctx, clock)
    for _ in range(2):
        assert asyncio.run(pusher.push_round(view, fake)).requeued == 1
    assert pusher.breakers.get(CHANNEL).state == "open"
    return view, fake, clock.now()


def cli(ctx: HubContext, *args: str, fake: FakeChannel | None = None) -> tuple[int, str]:
    def factory(_config: ConnectionConfig) -> Connector:
        assert fake is not None
        return fake

    db = ctx.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(sync_cli, [*args, "--db", db], obj={"connector_factory": factory})
    return result.exit_code, result.output


def test_an_open_breaker_is_recorded_with_its_failures_and_last_error(
    ctx: HubContext, clock: FrozenClock
) -> None:
    _, _, opened = open_the_breaker(ctx, clock)

    row = stored(ctx)
    assert (row["state"], row["since"], row["consecutive_failures"]) == ("open", opened, 2)
    assert row["retry_at"] == opened + timedelta(seconds=COOL_DOWN)
    assert row["updated_at"] == opened
    assert isinstance(row["last_error"], str) and row["last_error"].startswith("TransientError")
    assert "s3cret" not in row["last_error"]


def test_a_closed_breaker_with_nothing_to_report_is_never_written(
    ctx: HubContext, clock: FrozenClock
) -> None:
    view = hub_with_channel(ctx, ["A"])
    fake = fake_for(["A"], start=0)
    pusher = worker_pusher(ctx, clock)
    for quantity in (3, 4, 5):
        set_stock(ctx, "A", quantity)
        assert asyncio.run(pusher.push_round(view, fake)).applied == 1

    with ctx.read() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(channel_breakers)) == 0
    (row,) = list_breakers(ctx)
    assert (row.connection, row.channel, row.state, row.since) == (CONNECTION, CHANNEL, "closed", None)


def test_the_cli_lists_the_breaker_and_status_shows_it(ctx: HubContext, clock: FrozenClock) -> None:
    _, _, opened = open_the_breaker(ctx, clock)

    code, out = cli(ctx, "breakers", "--json")
    assert code == 0, out
    (row,) = json.loads(out)
    assert row["connection"] == CONNECTION and row["channel"] == CHANNEL
    assert (row["state"], row["since"], row["consecutive_failures"]) == ("open", opened.isoformat(), 2)
    assert row["last_error"].startswith("TransientError")
    code, table = cli(ctx, "breakers")
    assert code == 0 and "open" in table and CONNECTION in table

    code, out = cli(ctx, "status", "--json")
    assert code == 0 and [(r["sku"], r["breaker"]) for r in json.loads(out)] == [("A", "open")]
    code, text = cli(ctx, "status")
    assert code == 0 and f"breaker of {CHANNEL} ({CONNECTION}): open since" in text


def test_the_rest_api_and_its_metrics_show_the_breaker(ctx: HubContext, clock: FrozenClock) -> None:
    _, _, opened = open_the_breaker(ctx, clock)
    api = create_app(Settings(api_keys=[SecretStr(API_KEY)]), ctx, require_auth=True, expiry_sweep=None)

    with TestClient(api) as client:
        assert client.get("/api/v1/sync/breakers").status_code == 401, "same guard as the rest"
        answer = client.get("/api/v1/sync/breakers", headers={"X-API-Key": API_KEY})
        assert answer.status_code == 200, answer.text
        (row,) = answer.json()
        assert (row["connection"], row["channel"], row["state"]) == (CONNECTION, CHANNEL, "open")
        assert datetime.fromisoformat(row["since"]) == opened and row["consecutive_failures"] == 2
        assert datetime.fromisoformat(row["retry_at"]) == opened + timedelta(seconds=COOL_DOWN)
        other = client.get("/api/v1/sync/breakers?channel=nope", headers={"X-API-Key": API_KEY})
        assert other.json() == []
        scraped = client.get("/metrics").text
    assert f'stockbridge_sync_channel_breaker_state{{channel="{CHANNEL}"}} 2.0' in scraped
    assert f'stockbridge_sync_channel_breaker_failures{{channel="{CHANNEL}"}} 2.0' in scraped


def test_the_worker_registry_holds_the_live_and_the_stored_gauge_side_by_side(
    ctx: HubContext, clock: FrozenClock
) -> None:
    registry = CollectorRegistry()
    metrics = SyncMetrics(registry)
    registry.register(HubStateCollector(ctx))  # as `sync worker` does: no name clash
    view = hub_with_channel(ctx, ["A"])
    fake = fake_for(["A"], start=0)
    set_stock(ctx, "A", 3)
    fake.outage = True
    pusher = worker_pusher(ctx, clock, metrics)
    for _ in range(2):
        asyncio.run(pusher.push_round(view, fake))

    text = generate_latest(registry).decode()
    assert f'stockbridge_sync_breaker_state{{channel="{CHANNEL}"}} 2.0' in text
    assert f'stockbridge_sync_channel_breaker_state{{channel="{CHANNEL}"}} 2.0' in text
    assert text.count("# TYPE stockbridge_sync_breaker_state gauge") == 1


def test_a_restarted_worker_resumes_an_open_breaker_until_its_cool_down_ends(
    ctx: HubContext, clock: FrozenClock
) -> None:
    view, fake, opened = open_the_breaker(ctx, clock)
    clock.advance(10)
    fake.outage = False  # the channel came back; the restarted worker does not know it yet
    calls_before = (len(fake.calls), len(fake.reads))

    restarted = worker_pusher(ctx, clock)  # a fresh board, as after a restart
    breaker = restarted.breakers.get(CHANNEL)
    assert breaker.state == "open" and breaker.snapshot().retry_at == opened + timedelta(seconds=COOL_DOWN)
    assert breaker.snapshot().consecutive_failures == 2
    blocked = asyncio.run(restarted.push_round(view, fake))
    assert blocked.stopped == "circuit breaker open" and blocked.claimed == 0
    clock.advance(19.9)
    assert asyncio.run(restarted.push_round(view, fake)).stopped == "circuit breaker open"
    assert (len(fake.calls), len(fake.reads)) == calls_before, "no call before the cool-down ends"

    clock.advance(0.1)
    assert breaker.state == "half_open"
    half = stored(ctx)
    assert (half["state"], half["since"], half["retry_at"]) == ("half_open", clock.now(), None)

    clock.advance(1)
    healed = asyncio.run(restarted.push_round(view, fake))
    assert healed.applied == 1 and fake.level(item_of("A")) == 3
    closed = stored(ctx)
    assert (closed["state"], closed["since"], closed["consecutive_failures"]) == ("closed", clock.now(), 0)
    assert worker_pusher(ctx, clock).breakers.get(CHANNEL).state == "closed", "a later restart starts closed"


def test_a_failed_probe_is_recorded_as_open_again_with_a_new_cool_down(
    ctx: HubContext, clock: FrozenClock
) -> None:
    view, fake, _ = open_the_breaker(ctx, clock)
    clock.advance(COOL_DOWN)
    restarted = worker_pusher(ctx, clock)
    assert restarted.breakers.get(CHANNEL).state == "half_open", "the cool-down passed while it was down"

    probe = asyncio.run(restarted.push_round(view, fake))

    assert probe.stopped is not None and probe.stopped.startswith("levels failed")
    row = stored(ctx)
    assert (row["state"], row["since"], row["consecutive_failures"]) == ("open", clock.now(), 3)
    assert row["retry_at"] == clock.now() + timedelta(seconds=COOL_DOWN)


def test_the_worker_command_resumes_a_stored_open_breaker(ctx: HubContext) -> None:
    """End to end through `sync worker` (wall clock): a breaker opened a moment ago stays shut."""
    hub_with_channel(ctx, ["A"])
    set_stock(ctx, "A", 5)
    now = datetime.now(UTC)
    DbBreakerStore(ctx).save(
        BreakerSnapshot(CHANNEL, "open", 5, now, now + timedelta(seconds=30), now, "TransientError: 503")
    )
    fake = fake_for(["A"])

    code, out = cli(ctx, "worker", "--max-ticks", "2", "--interval", "0", "--reconcile-every", "0", fake=fake)

    assert code == 0 and "stopped after 2 ticks" in out
    assert fake.calls == [] and fake.reads == [], "the channel was not called while its breaker is open"
    assert stored(ctx)["state"] == "open"


class RecordingStore:
    def __init__(self, start: BreakerSnapshot | None = None) -> None:
        self.start = start
        self.saved: list[BreakerSnapshot] = []

    def load(self, name: str) -> BreakerSnapshot | None:
        return self.start

    def save(self, snapshot: BreakerSnapshot) -> None:
        self.saved.append(snapshot)


def test_the_store_hears_transitions_and_failure_counts_only() -> None:
    clock, store = FrozenClock(), RecordingStore()
    breaker = BreakerBoard(clock, failure_threshold=2, cool_down_s=10, store=store).get("c")
    for _ in range(5):
        assert breaker.allow()
        breaker.record_success()
    assert store.saved == [], "successes that change nothing write nothing"

    breaker.record_failure(RuntimeError("boom"))
    breaker.record_success()
    breaker.record_failure()
    breaker.record_failure()
    clock.advance(10)
    assert breaker.allow() and not breaker.allow()
    breaker.record_success()
    assert [(s.state, s.consecutive_failures) for s in store.saved] == [
        ("closed", 1),
        ("closed", 0),
        ("closed", 1),
        ("open", 2),
        ("half_open", 2),
        ("closed", 0),
    ]
    assert store.saved[0].last_error == "RuntimeError: boom"


def test_the_last_error_comes_from_the_handled_exception_and_is_short_and_masked() -> None:
    breaker = CircuitBreaker("c", FrozenClock())
    try:
        raise PermissionError("401 https://user:pw@shop.example/x?access_token=abc Authorization: Bearer xyz")
    except PermissionError:
        breaker.record_failure()
    error = breaker.snapshot().last_error
    assert error is not None and error.startswith("PermissionError: 401")
    assert "pw" not in error and "abc" not in error and "xyz" not in error
    assert len(describe_error("x" * 5000)) == 500


@pytest.mark.parametrize("ahead_s", [0.0, 3600.0])
def test_a_resumed_open_breaker_never_waits_longer_than_its_cool_down(ahead_s: float) -> None:
    clock = FrozenClock()
    opened = clock.now() + timedelta(seconds=ahead_s)  # recorded by a host whose clock runs ahead
    store = RecordingStore(BreakerSnapshot("c", "open", 5, opened, None, opened, None))
    breaker = BreakerBoard(clock, cool_down_s=10, store=store).get("c")
    assert breaker.state == "open"
    clock.advance(10)
    assert breaker.state == "half_open"
