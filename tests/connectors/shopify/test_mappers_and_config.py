"""Pure pieces: GID handling, order status, the quantity input, and the config's secrets and checks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from stockbridge.connectors.base import LevelChange
from stockbridge.connectors.shopify import CAPABILITIES, ShopifyConfig
from stockbridge.connectors.shopify.mappers import order_status, quantity_input, shopify_search_time, to_gid


def test_gids_are_built_from_numbers_and_normalised_from_level_style_gids() -> None:
    assert to_gid("InventoryItem", 42) == "gid://shopify/InventoryItem/42"
    assert to_gid("InventoryItem", "42") == "gid://shopify/InventoryItem/42"
    assert to_gid("Location", "gid://shopify/Location/7?x=1") == "gid://shopify/Location/7"
    with pytest.raises(ValueError):
        to_gid("Location", "gid://shopify/InventoryItem/7")


@pytest.mark.parametrize(
    ("node", "status"),
    [
        ({"cancelledAt": "2026-05-01T00:00:00Z", "displayFulfillmentStatus": "FULFILLED"}, "cancelled"),
        ({"displayFinancialStatus": "REFUNDED", "displayFulfillmentStatus": "FULFILLED"}, "refunded"),
        ({"displayFinancialStatus": "PAID", "displayFulfillmentStatus": "FULFILLED"}, "fulfilled"),
        ({"displayFinancialStatus": "PARTIALLY_REFUNDED", "displayFulfillmentStatus": "UNFULFILLED"}, "open"),
    ],
)
def test_order_status_reduces_to_the_hubs_four(node: dict[str, str], status: str) -> None:
    assert order_status(node) == status


def test_every_quantity_input_carries_change_from_quantity_even_when_null() -> None:
    entry = quantity_input(LevelChange("1", "2", quantity=5, expected=None))
    assert entry == {
        "inventoryItemId": "gid://shopify/InventoryItem/1",
        "locationId": "gid://shopify/Location/2",
        "quantity": 5,
        "changeFromQuantity": None,
    }
    assert quantity_input(LevelChange("1", "2", 5, 3))["changeFromQuantity"] == 3


def test_search_times_are_utc_floored_to_the_second() -> None:
    moment = datetime(2026, 5, 1, 12, 0, 7, 900_000, tzinfo=UTC)
    assert shopify_search_time(moment) == "2026-05-01T12:00:07Z"


def config(**overrides: object) -> ShopifyConfig:
    values: dict[str, object] = {
        "shop_domain": "My-Shop.myshopify.com",
        "access_token": "shpat_secret",
        "api_secret": "shpss_secret",
        **overrides,
    }
    return ShopifyConfig(**values)  # type: ignore[arg-type,unused-ignore]


def test_config_hides_secrets_and_pins_the_version() -> None:
    cfg = config()
    assert "shpat_secret" not in repr(cfg) and "shpss_secret" not in str(cfg.model_dump())
    assert cfg.shop_domain == "my-shop.myshopify.com"
    assert cfg.endpoint == "https://my-shop.myshopify.com/admin/api/2026-04/graphql.json"
    assert (
        config(base_url="http://127.0.0.1:9/").endpoint == "http://127.0.0.1:9/admin/api/2026-04/graphql.json"
    )


@pytest.mark.parametrize(
    "overrides",
    [{"shop_domain": "evil.example.com"}, {"api_version": "2025-01"}, {"base_url": "ftp://x"}, {"extra": 1}],
)
def test_config_rejects_what_would_misroute_or_mis_version_calls(overrides: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        config(**overrides)


def test_capabilities_are_those_of_shopify_2026_04() -> None:
    assert (CAPABILITIES.webhooks, CAPABILITIES.compare_and_set, CAPABILITIES.max_batch) == (True, True, 250)
    assert (CAPABILITIES.rate_limit_model, CAPABILITIES.multi_location) == ("cost_bucket", True)
