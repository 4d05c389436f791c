"""The contract suite is not a rubber stamp: connectors that break the rules fail it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence

import pytest

from stockbridge.connectors.base import LevelChange, PushOutcome
from stockbridge.connectors.shopify import ShopifyConnector
from stockbridge.connectors.testing import (
    ContractFailure,
    ContractHarness,
    check_concurrent_sale_is_not_overwritten,
    check_set_then_read_back,
    check_webhook_verification,
)
from tests.connectors.shopify.test_contract import TestShopifyContract

pytestmark = pytest.mark.anyio


class BlindOverwrite(ShopifyConnector):
    """Pushes absolute numbers without compare-and-set, as the systems we mean to beat do."""

    async def set_levels(self, changes: Sequence[LevelChange]) -> list[PushOutcome]:
        blind = [LevelChange(c.item_id, c.location_id, c.quantity, None, c.reference) for c in changes]
        outcomes = await super().set_levels(blind)
        return [
            PushOutcome(c, o.status, o.remote_quantity, o.error)
            for c, o in zip(changes, outcomes, strict=True)
        ]


class TrustsEveryone(ShopifyConnector):
    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        return True


class ForgetsWrites(ShopifyConnector):
    async def set_levels(self, changes: Sequence[LevelChange]) -> list[PushOutcome]:
        return [PushOutcome(c, "applied", c.quantity) for c in changes]


@pytest.mark.parametrize(
    ("broken", "check"),
    [
        (BlindOverwrite, check_concurrent_sale_is_not_overwritten),
        (TrustsEveryone, check_webhook_verification),
        (ForgetsWrites, check_set_then_read_back),
    ],
)
async def test_a_broken_connector_fails_its_check(
    broken: type[ShopifyConnector], check: Callable[[ContractHarness], Awaitable[None]]
) -> None:
    async with TestShopifyContract().harness() as h:
        good = h.connector
        assert isinstance(good, ShopifyConnector)
        bad = broken(good.connection, good.config, good.client)
        harness = ContractHarness(bad, h.sell, h.signed_webhook, h.connector_with_bad_credentials)
        with pytest.raises(ContractFailure):
            await check(harness)
        await bad.aclose()
