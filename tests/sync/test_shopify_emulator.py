"""The pusher, discovery and reconciliation against the Shopify emulator over loopback, with the
real Shopify connector built from a stored connection (`installed_connector`)."""

from __future__ import annotations

import random

import pytest
import sqlalchemy as sa

from stockbridge.sandbox.shopify import DEFAULT_SECRET, DEFAULT_TOKEN
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
from tests.sync.emulators import SHOP_DOMAIN, running_shopify

pytestmark = pytest.mark.anyio
SHOP, CHANNEL, HUB_SKUS = "shop-1", "shopify-main", ("TEE-S", "TEE-M", "MUG")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _hub(ctx: HubContext, base_url: str) -> None:
    define_location(ctx, LocationSpec("WH1", "Main", external_codes={SHOP: "Shop location"}))
    define_channel(ctx, ChannelSpec(CHANNEL, "Shopify", "shopify", locations=("WH1",)))
    for code in HUB_SKUS:
        define_sku(ctx, SkuSpec(code, code))
        define_listing(ctx, ListingSpec(CHANNEL, code))
    secrets = {"access_token": DEFAULT_TOKEN, "api_secret": DEFAULT_SECRET}
    register_connection(
        ctx, ConnectionSpec(SHOP, "shopify", CHANNEL, base_url, {"shop_domain": SHOP_DOMAIN}, secrets)
    )


def _count(ctx: HubContext, sku: str, quantity: int, key: str) -> None:
    event = {"type": "count", "sku": sku, "location": "WH1", "quantity": quantity, "idempotency_key": key}
    assert ingest_events(ctx, [event]).summary()["applied"] == 1


def _sale_recorded(ctx: HubContext, sku: str, units: int, channel_id: int | None) -> None:
    """The shop's own order in the ledger, recorded the way inbound does it (with the shift)."""
    assert channel_id is not None
    event = {"type": "sale", "sku": sku, "location": "WH1", "quantity": units, "idempotency_key": "order-1"}

    def work(conn: sa.Connection) -> None:
        sku_id = int(conn.scalar(sa.select(skus.c.id).where(skus.c.code == sku)))
        shift_acknowledged(conn, channel_id, {sku_id: -units})

    assert ingest_events(ctx, [event]).summary()["applied"] == 1
    ctx.write(work)


async def test_the_hub_converges_the_emulated_shop_and_keeps_its_sales(ctx: HubContext) -> None:
    with running_shopify() as shop:
        _hub(ctx, shop.base_url)
        config = load_connection_config(ctx, SHOP)
        connector = installed_connector(config)
        pusher = Pusher(ctx, retrier=Retrier(sleep=RecordingSleep(), rng=random.Random(1)))
        try:
            bound = await discover(ctx, SHOP, connector)
            assert {u.label for u in bound.unmatched} == {"TEE-L", "CAP", "Warehouse"}
            for i, (sku, quantity) in enumerate((("TEE-S", 7), ("TEE-M", 1), ("MUG", 20))):
                _count(ctx, sku, quantity, f"c{i}")

            first = await pusher.push_round(config.view, connector)
            assert (first.applied, first.skipped, first.stopped) == (3, [], None)
            levels = [shop.available(s, "Shop location") for s in HUB_SKUS]
            assert levels == [7, 1, 20]
            assert shop.available("TEE-S", "Warehouse") == 2, "other remote locations are left alone"

            shop.sell("TEE-S", "Shop location", 2)  # the hub has not heard
            _count(ctx, "TEE-S", 10, "c3")
            resent = await pusher.push_round(config.view, connector)
            assert (resent.applied, resent.stale) == (1, 0), "refused as stale, then re-sent from 5"
            assert shop.available("TEE-S", "Shop location") == 8, (
                "10 in the hub, less the 2 the shop sold: the sale was not overwritten, "
                "and its units are not offered again"
            )
            _sale_recorded(ctx, "TEE-S", 2, config.view.channel_id)  # the shop's order reaches the hub
            settled = await pusher.push_round(config.view, connector)
            assert (settled.unchanged, shop.available("TEE-S", "Shop location")) == (1, 8)

            report = await reconcile(pusher, config.view, connector)
            assert (report.checked, report.in_sync, report.drifts) == (3, 3, [])
        finally:
            await connector.aclose()
