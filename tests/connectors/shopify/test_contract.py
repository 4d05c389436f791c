"""The shared connector contract, run for Shopify against its emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from stockbridge.connectors.base import Connector
from stockbridge.connectors.shopify.webhooks import sign
from stockbridge.connectors.testing import ConnectorContract, ContractHarness
from stockbridge.sandbox.shopify import DEFAULT_SECRET
from tests.connectors.shopify.conftest import running_shop


class TestShopifyContract(ConnectorContract):
    @asynccontextmanager
    async def harness(self) -> AsyncIterator[ContractHarness]:
        async with running_shop() as shop:

            async def sell(item_id: str, location_id: str | None, units: int) -> None:
                await shop.sell(item_id, location_id, units)

            def signed_webhook() -> tuple[Mapping[str, str], bytes]:
                body = b'{"inventory_item_id":1,"location_id":2,"available":3}'
                headers = {
                    "X-Shopify-Topic": "inventory_levels/update",
                    "X-Shopify-Hmac-Sha256": sign(DEFAULT_SECRET, body),
                    "X-Shopify-Event-Id": "00000000-0000-0000-0000-000000000001",
                }
                return headers, body

            def bad_credentials() -> Connector:
                return shop.connector(access_token="shpat_revoked")

            yield ContractHarness(shop.connector(), sell, signed_webhook, bad_credentials)
