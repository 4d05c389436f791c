"""A stored connection becomes a working WooCommerce connector through the sync engine's seam."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from stockbridge.connectors.woocommerce import WooCommerceConnector
from stockbridge.errors import ValidationError
from stockbridge.sandbox.woocommerce import DEFAULT_KEY, DEFAULT_SECRET
from stockbridge.services.connections import ConnectionSpec, load_connection_config, register_connection
from stockbridge.services.context import HubContext
from stockbridge.sync.connectors import installed_connector
from tests.connectors.woocommerce.conftest import WEBHOOK_SECRET, WooSite

SECRETS = {"consumer_key": DEFAULT_KEY, "consumer_secret": DEFAULT_SECRET, "webhook_secret": WEBHOOK_SECRET}


def test_a_registered_woocommerce_connection_builds_a_connector_that_reaches_the_site(
    ctx: HubContext, site: WooSite
) -> None:
    spec = ConnectionSpec(
        "woo-main",
        "woocommerce",
        base_url=site.base_url,
        settings={"per_page": 50, "push_location": "WH1"},
        secrets=SECRETS,
    )
    register_connection(ctx, spec)

    connector = installed_connector(load_connection_config(ctx, "woo-main"))

    assert isinstance(connector, WooCommerceConnector) and connector.connection == "woo-main"
    assert connector.config.per_page == 50 and "cs_" not in repr(connector.config)

    async def use() -> int:
        try:
            return len([lv async for lv in connector.levels()])
        finally:
            await connector.aclose()

    # The connector signs with the wall clock; the emulator's frozen clock must agree for OAuth.
    site.clock.advance((datetime.now(UTC) - site.clock.now()).total_seconds())
    assert asyncio.run(use()) == 4


def test_a_connection_missing_its_url_is_refused_with_the_field_to_fix(ctx: HubContext) -> None:
    register_connection(ctx, ConnectionSpec("woo-bad", "woocommerce", secrets=SECRETS))
    with pytest.raises(ValidationError) as caught:
        installed_connector(load_connection_config(ctx, "woo-bad"))
    assert "base_url" in caught.value.message
