"""The shared connector contract (`stockbridge.connectors.testing`) run against the emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from stockbridge.connectors.base import Connector
from stockbridge.connectors.testing import ConnectorContract, ContractHarness
from stockbridge.connectors.woocommerce.mappers import parse_item_id
from tests.connectors.woocommerce.conftest import WEBHOOK_SECRET, WooSite, running_receiver, running_site


class TestWooCommerceContract(ConnectorContract):
    @asynccontextmanager
    async def harness(self) -> AsyncIterator[ContractHarness]:
        with running_site() as site, running_receiver() as receiver:
            connector = site.connector()
            hook = {
                "name": "p",
                "topic": "product.updated",
                "delivery_url": receiver.url,
                "secret": WEBHOOK_SECRET,
            }
            await connector.client.post("webhooks", hook)

            async def sell(item_id: str, _location: str | None, units: int) -> None:
                ref = parse_item_id(item_id)
                line = (ref.product_id, ref.variation_id or 0, units)
                site.server.call(lambda: site.emulator.store.place_order([line], "contract@example.com"))

            def signed_webhook() -> tuple[Mapping[str, str], bytes]:
                return _product_update_delivery(site, receiver.deliveries)

            def bad_credentials() -> Connector:
                return site.connector(consumer_secret="cs_not_the_secret")

            yield ContractHarness(connector, sell, signed_webhook, bad_credentials)


def _product_update_delivery(site: WooSite, deliveries: list) -> tuple[Mapping[str, str], bytes]:  # type: ignore[type-arg]
    store = site.emulator.store
    site.server.call(lambda: store.update_product(next(iter(store.products.values())), {"name": "Renamed"}))
    site.server.run(site.emulator.webhooks.drain())
    delivery = deliveries[-1]
    return delivery.headers, delivery.body
