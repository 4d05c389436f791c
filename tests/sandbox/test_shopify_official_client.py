"""The official `ShopifyAPI` Python package talks to the emulator as it would to a real shop."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.error import HTTPError

import pytest
import shopify as shopify_api
from shopify.api_version import ApiVersion, Release

from stockbridge.sandbox.shopify import DEFAULT_TOKEN
from tests.sandbox.conftest import ShopifyHarness


@pytest.fixture
def official(shopify: ShopifyHarness) -> Iterator[ShopifyHarness]:
    """Point the library's class-level host settings at the loopback emulator, then restore them."""
    session_cls = shopify_api.Session
    saved = (session_cls.myshopify_domain, session_cls.port, session_cls.protocol)
    ApiVersion.define_version(Release("2026-04"))
    # Session builds "<first label>.<myshopify_domain>:<port>": "127" + "0.0.1" is the loopback address.
    session_cls.myshopify_domain = "0.0.1"
    session_cls.port = shopify.server.base_url.rsplit(":", 1)[1]
    session_cls.protocol = "http"
    shopify_api.ShopifyResource.activate_session(session_cls("127", "2026-04", DEFAULT_TOKEN))
    try:
        yield shopify
    finally:
        shopify_api.ShopifyResource.clear_session()
        session_cls.myshopify_domain, session_cls.port, session_cls.protocol = saved


def execute(query: str, variables: dict[str, Any] | None = None) -> Any:
    return json.loads(shopify_api.GraphQL().execute(query, variables))


def test_the_graphql_client_reads_products_and_levels(official: ShopifyHarness) -> None:
    result = execute("""
      query { products(first: 10) { nodes { title variants(first: 5) { nodes { sku inventoryQuantity } } } } }
    """)
    titles = {p["title"]: p for p in result["data"]["products"]["nodes"]}
    assert set(titles) == {"Tee", "Mug"}
    assert titles["Tee"]["variants"]["nodes"][0] == {"sku": "TEE-S", "inventoryQuantity": 7}
    assert result["extensions"]["cost"]["throttleStatus"]["maximumAvailable"] == 2000


def test_the_graphql_client_sets_quantities_with_compare_and_set(official: ShopifyHarness) -> None:
    mutation = """
      mutation Set($input: InventorySetQuantitiesInput!, $key: String!) {
        inventorySetQuantities(input: $input) @idempotent(key: $key) {
          inventoryAdjustmentGroup { changes { name delta } }
          userErrors { field code }
        }
      }
    """
    entry = {
        "inventoryItemId": official.item_gid(),
        "locationId": official.location_gid(),
        "quantity": 11,
        "changeFromQuantity": 5,
    }
    variables = {
        "input": {"name": "available", "reason": "correction", "quantities": [entry]},
        "key": "official-1",
    }
    result = execute(mutation, variables)
    assert result["data"]["inventorySetQuantities"]["inventoryAdjustmentGroup"]["changes"] == [
        {"name": "available", "delta": 6},
        {"name": "on_hand", "delta": 6},
    ]
    stale = execute(mutation, {**variables, "key": "official-2"})
    assert stale["data"]["inventorySetQuantities"]["userErrors"][0]["code"] == "CHANGE_FROM_QUANTITY_STALE"


def test_a_wrong_token_surfaces_as_http_401_in_the_client(official: ShopifyHarness) -> None:
    shopify_api.ShopifyResource.activate_session(shopify_api.Session("127", "2026-04", "not-a-token"))
    with pytest.raises(HTTPError) as raised:
        shopify_api.GraphQL().execute("{ shop { name } }")
    assert raised.value.code == 401
