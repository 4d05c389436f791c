"""Paging through `orders` skips no order that existed when the listing began, even when orders
are updated (and so re-sorted) between pages: the emulator's cursors, like Shopify's, name the
sort key's value and the id of the last order listed, not its position. An order updated
mid-listing may come back later in the same listing; the hub's dedupe tolerates that."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sandbox.conftest import ShopifyHarness

ORDERS = """
query Orders($after: String, $q: String, $sort: OrderSortKeys!, $reverse: Boolean!) {
  orders(first: 2, after: $after, query: $q, sortKey: $sort, reverse: $reverse) {
    nodes { id updatedAt }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def _place(shopify: ShopifyHarness, count: int) -> list[str]:
    """`count` orders, a minute apart; their GIDs in the order placed."""
    placed = []
    for _ in range(count):
        shopify.clock.advance(60)
        response = shopify.client.post(
            "/_emulator/storefront/orders", json={"lines": [{"sku": "TEE-S", "quantity": 1}]}
        )
        assert response.status_code == 201, response.text
        placed.append(str(response.json()["admin_graphql_api_id"]))
    return placed


def _update(shopify: ShopifyHarness, order_gid: str) -> None:
    """Fulfil the order an hour later: its `updatedAt` moves (it sorts last by UPDATED_AT)."""
    shopify.clock.advance(3600)
    number = order_gid.rsplit("/", 1)[-1]
    assert shopify.client.post(f"/_emulator/orders/{number}/fulfill").status_code == 201


def _list(shopify: ShopifyHarness, variables: dict[str, Any], between_pages: Any = None) -> list[str]:
    """Every order id the listing returns, in order; `between_pages(page_number, ids_so_far)`
    runs after each page, as shop activity would between a client's requests."""
    seen: list[str] = []
    after, pages = None, 0
    while True:
        data = shopify.gql(ORDERS, {**variables, "after": after})
        assert "errors" not in data, data
        connection = data["data"]["orders"]
        seen += [node["id"] for node in connection["nodes"]]
        pages += 1
        if between_pages is not None:
            between_pages(pages, seen)
        if not connection["pageInfo"]["hasNextPage"]:
            return seen
        after = connection["pageInfo"]["endCursor"]


@pytest.mark.parametrize(
    ("sort", "reverse"), [("UPDATED_AT", False), ("UPDATED_AT", True), ("ID", False), ("CREATED_AT", False)]
)
def test_an_order_updated_between_pages_makes_the_listing_skip_no_other(
    shopify: ShopifyHarness, sort: str, reverse: bool
) -> None:
    placed = _place(shopify, 6)

    def update_the_last_listed(page: int, seen: list[str]) -> None:
        if page == 1:
            _update(shopify, seen[-1])  # the very order the cursor was taken from

    listed = _list(shopify, {"sort": sort, "reverse": reverse, "q": None}, update_the_last_listed)
    assert set(placed) <= set(listed)
    assert len(listed) - len(set(listed)) <= 1  # the updated one may come round again, nothing else
    if sort == "UPDATED_AT" and not reverse:
        assert listed[-1] == listed[1]  # re-sorted last, listed again at its new place


def test_every_order_updated_during_the_listing_still_skips_none(shopify: ShopifyHarness) -> None:
    placed = _place(shopify, 7)

    updated: set[str] = set()

    def update_everything_listed(page: int, seen: list[str]) -> None:
        for order in set(seen[-2:]) - updated:
            _update(shopify, order)
            updated.add(order)

    listed = _list(shopify, {"sort": "UPDATED_AT", "reverse": False, "q": None}, update_everything_listed)
    assert set(placed) <= set(listed)


def test_an_order_updated_out_of_a_bounded_listing_skips_no_other(shopify: ShopifyHarness) -> None:
    """A listing up to an instant (`updated_at:<=`, as the hub's poller asks): the cursor's order,
    updated past the bound, leaves the list; the orders behind it are still listed."""
    placed = _place(shopify, 5)
    until = shopify.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")

    def update_the_last_listed(page: int, seen: list[str]) -> None:
        if page == 1:
            _update(shopify, seen[-1])

    variables = {"sort": "UPDATED_AT", "reverse": False, "q": f"updated_at:<='{until}'"}
    listed = _list(shopify, variables, update_the_last_listed)
    assert listed == placed  # each once, in the order placed


def test_a_cursor_of_another_sort_key_is_refused_as_shopify_does(shopify: ShopifyHarness) -> None:
    _place(shopify, 3)
    by_time = shopify.gql(ORDERS, {"sort": "UPDATED_AT", "reverse": False, "q": None, "after": None})
    cursor = by_time["data"]["orders"]["pageInfo"]["endCursor"]
    by_id = shopify.gql(ORDERS, {"sort": "ID", "reverse": False, "q": None, "after": cursor})
    assert by_id["errors"][0]["message"] == "Invalid cursor for current pagination sort."
