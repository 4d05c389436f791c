"""Sync metrics on an injected registry, exposed at /metrics by the API."""

from __future__ import annotations

import asyncio

from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from stockbridge.api import create_app
from stockbridge.domain.clock import FrozenClock
from stockbridge.services.context import HubContext
from stockbridge.settings import Settings
from stockbridge.sync.metrics import SyncMetrics
from tests.sync.conftest import RecordingSleep, make_pusher
from tests.sync.helpers import CHANNEL, clear_all_dirty, fake_for, hub_with_channel, set_stock


def _value(registry: CollectorRegistry, name: str, **labels: str) -> float | None:
    return registry.get_sample_value(name, labels)


def test_propagation_latency_runs_from_the_accepted_change_to_the_acknowledgement(
    ctx: HubContext, clock: FrozenClock, sleep: RecordingSleep
) -> None:
    registry = CollectorRegistry()
    pusher = make_pusher(ctx, clock, sleep, SyncMetrics(registry))
    view = hub_with_channel(ctx, ["A", "B"])
    fake = fake_for(["A", "B"])
    clear_all_dirty(ctx)  # defining the listings dirtied them at t=0
    set_stock(ctx, "A", 1)
    clock.advance(0.3)
    set_stock(ctx, "B", 1)  # B's listing was dirtied 0.3 s after A's
    clock.advance(0.4)

    report = asyncio.run(pusher.push_round(view, fake))

    assert sorted(round(s, 3) for s in report.latencies_s) == [0.4, 0.7]
    name = "stockbridge_sync_propagation_seconds"
    assert _value(registry, f"{name}_count", channel=CHANNEL) == 2
    assert _value(registry, f"{name}_bucket", channel=CHANNEL, le="0.5") == 1
    assert _value(registry, f"{name}_sum", channel=CHANNEL) == 1.1
    calls = "stockbridge_sync_api_calls_total"
    assert _value(registry, calls, channel=CHANNEL, operation="set_levels", outcome="ok") == 1
    assert _value(registry, calls, channel=CHANNEL, operation="levels", outcome="ok") == 1
    assert _value(registry, "stockbridge_sync_levels_total", channel=CHANNEL, outcome="applied") == 2


def test_metrics_are_exposed_at_slash_metrics_without_an_api_key(ctx: HubContext) -> None:
    hub_with_channel(ctx, ["A", "B"])
    set_stock(ctx, "A", 2)
    set_stock(ctx, "B", 2)
    app = create_app(Settings(api_keys=[SecretStr("k-123")]), ctx, require_auth=True, expiry_sweep=None)
    registry = CollectorRegistry()
    SyncMetrics(registry).drift(CHANNEL, 5, 2)

    with TestClient(app) as client:
        default = client.get("/metrics")
        assert default.status_code == 200 and default.headers["content-type"].startswith("text/plain")
        assert f'stockbridge_sync_dirty_listings{{channel="{CHANNEL}"}} 2.0' in default.text
        app.state.metrics_registry = registry
        injected = client.get("/metrics").text
        assert f'stockbridge_sync_drift_units{{channel="{CHANNEL}"}} 5.0' in injected
        assert client.get("/api/v1/skus").status_code == 401, "the rest of the API stays guarded"
