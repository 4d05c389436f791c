"""The pusher against the WooCommerce emulator (no compare-and-set) with the real connector built
from the stored connection: deltas from the last acknowledged value keep the shop's own sales,
and reconciliation sees the sale the hub missed."""

from __future__ import annotations

import random

import pytest
import sqlalchemy as sa

from stockbridge.sandbox.woocommerce import DEFAULT_KEY, DEFAULT_SECRET
from stockbridge.services.catalog_places import (
    ChannelSpec,
    ListingSpec,
    LocationSpec,
    define_channel,
    define_listing,
    define_location,
)
from stockbridge.services.catalog_skus import SkuSpec, define_sku
from stockbridge.services.connections import ConnectionSpec, load_connection_config, register_connection
from stockbridge.services.context import HubContext
from stockbridge.services.ingest import ingest_events
from stockbridge.store.schema import skus
from stockbridge.sync.connectors import installed_connector
from stockbridge.sync.discovery import discover
from stockbridge.sync.outbox import shift_acknowledged
from stockbridge.sync.pusher import Pusher
from stockbridge.sync.reconcile import reconcile
from stockbridge.sync.retry import Retrier
from tests.sync.conftest import RecordingSleep
from tests.sync.emulators import running_woocommerce

pytestmark = pytest.mark.anyio
WOO, CHANNEL = "woo", "woo-main"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _hub(ctx: HubContext, base_url: str) -> None:
    define_location(ctx, LocationSpec("WH1", "Main"))
    define_channel(ctx, ChannelSpec(CHANNEL, "WooCommerce", "woocommerce", locations=("WH1",)))
    for code in ("HOOD", "SOCK-S"):
        define_sku(ctx, SkuSpec(code, code))
        define_listing(ctx, ListingSpec(CHANNEL, code))
    secrets = {
        "consumer_key": DEFAULT_KEY,
        "consumer_secret": DEFAULT_SECRET,
        "webhook_secret": "whsec-test",
    }
    settings = {"requests_per_second": 1000.0, "burst": 1000}
    register_connection(ctx, ConnectionSpec(WOO, "woocommerce", CHANNEL, base_url, settings, secrets))


def _event(ctx: HubContext, kind: str, sku: str, quantity: int, key: str) -> None:
    event = {"type": kind, "sku": sku, "location": "WH1", "quantity": quantity, "idempotency_key": key}
    assert ingest_events(ctx, [event]).summary()["applied"] == 1


def shift_own_sale(ctx: HubContext, channel_id: int | None, sku: str, units: int) -> None:
    assert channel_id is not None
    with ctx.read() as conn:
        sku_id = int(conn.scalar(sa.select(skus.c.id).where(skus.c.code == sku)))
    ctx.write(lambda conn: shift_acknowledged(conn, channel_id, {sku_id: -units}))


async def test_deltas_from_the_acknowledged_level_keep_the_shops_sales(ctx: HubContext) -> None:
    with running_woocommerce() as site:
        _hub(ctx, site.base_url)
        config = load_connection_config(ctx, WOO)
        connector = installed_connector(config)
        pusher = Pusher(ctx, retrier=Retrier(sleep=RecordingSleep(), rng=random.Random(1)))
        try:
            bound = await discover(ctx, WOO, connector)
            assert {b.extra["sku"] for b in bound.bound if b.object_type == "sku" and b.extra} == {
                "HOOD",
                "SOCK-S",
            }
            _event(ctx, "count", "HOOD", 12, "k1")
            _event(ctx, "count", "SOCK-S", 4, "k2")
            first = await pusher.push_round(config.view, connector)
            assert first.applied == 2 and (site.stock("HOOD"), site.stock("SOCK-S")) == (12, 4)

            site.sell("HOOD", 3)  # the shop sells 3; the hub has not heard
            _event(ctx, "count", "HOOD", 15, "k3")  # and receives 3 more
            pushed = await pusher.push_round(config.view, connector)
            assert pushed.applied == 1 and site.stock("HOOD") == 12, (
                "+3 on top of the shop's 9: the sale stays"
            )

            drift = await reconcile(pusher, config.view, connector)
            assert [(d.sku, d.desired, d.observed, d.direction) for d in drift.drifts] == [
                ("HOOD", 15, 12, "under")
            ]
            _event(ctx, "sale", "HOOD", 3, "k4")  # the shop's order reaches the hub, as inbound records it:
            shift_own_sale(ctx, config.view.channel_id, "HOOD", 3)  # the shop applied it already
            settled = await pusher.push_round(config.view, connector)
            assert (settled.unchanged, site.stock("HOOD")) == (1, 12)
            assert (await reconcile(pusher, config.view, connector)).drifts == []
        finally:
            await connector.aclose()
