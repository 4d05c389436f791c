"""One order's fulfilments and refunds, as an `orders/updated` webhook (REST JSON) and as the orders
poll reads it (GraphQL), map to the same movements: same ids, kinds, SKUs, quantities, locations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from stockbridge.connectors.base import RemoteOrder, WebhookMessage
from stockbridge.connectors.shopify import ShopifyConfig, build_connector
from stockbridge.connectors.shopify.mappers import order as map_order
from stockbridge.sync.inbound_bindings import OrderFacts
from stockbridge.sync.inbound_shopify import ShopifyInbound

ORDER, LOC = "gid://shopify/Order/1", "gid://shopify/Location/7"
LINES = [("gid://shopify/LineItem/11", "TEE", "gid://shopify/InventoryItem/21", 3)]


def _inbound() -> ShopifyInbound:
    config = ShopifyConfig(shop_domain="demo.myshopify.com", access_token="t", api_secret="s")
    return ShopifyInbound(build_connector("shop-1", config))


def _rest_line(quantity: int) -> dict[str, Any]:
    return {"id": 11, "sku": "TEE", "quantity": quantity}


def _webhook() -> dict[str, Any]:
    def fulfilment(number: int, status: str) -> dict[str, Any]:
        return {
            "admin_graphql_api_id": f"gid://shopify/Fulfillment/{number}",
            "status": status,
            "location_id": 7,
            "line_items": [_rest_line(1)],
        }

    def refund_line(kind: str, location: int | None) -> dict[str, Any]:
        return {"quantity": 1, "restock_type": kind, "location_id": location, "line_item": _rest_line(3)}

    return {
        "admin_graphql_api_id": ORDER,
        "cancelled_at": None,
        "line_items": [_rest_line(3)],
        "fulfillments": [fulfilment(31, "success"), fulfilment(32, "cancelled"), fulfilment(33, "failure")],
        "refunds": [
            {
                "admin_graphql_api_id": "gid://shopify/Refund/41",
                "refund_line_items": [
                    refund_line("return", 7),
                    refund_line("cancel", 7),
                    refund_line("no_restock", None),
                    refund_line("legacy_restock", 7),
                ],
            }
        ],
    }


def _polled() -> RemoteOrder:
    line = {"id": LINES[0][0], "sku": "TEE"}

    def fulfilment(number: int, status: str) -> dict[str, Any]:
        nodes = [{"quantity": 1, "lineItem": line}]
        return {
            "id": f"gid://shopify/Fulfillment/{number}",
            "status": status,
            "location": {"id": LOC},
            "fulfillmentLineItems": {"nodes": nodes, "pageInfo": {"hasNextPage": False, "endCursor": None}},
        }

    def refund_line(kind: str, location: str | None) -> dict[str, Any]:
        return {
            "quantity": 1,
            "restockType": kind,
            "location": location and {"id": location},
            "lineItem": line,
        }

    refund_lines = [
        refund_line("RETURN", LOC),
        refund_line("CANCEL", LOC),
        refund_line("NO_RESTOCK", None),
        refund_line("LEGACY_RESTOCK", LOC),
    ]
    node = {
        "id": ORDER,
        "updatedAt": "2026-05-01T10:00:00Z",
        "cancelledAt": None,
        "fulfillments": [fulfilment(31, "SUCCESS"), fulfilment(32, "CANCELLED"), fulfilment(33, "FAILURE")],
        "refunds": [
            {
                "id": "gid://shopify/Refund/41",
                "refundLineItems": {
                    "nodes": refund_lines,
                    "pageInfo": {"hasNextPage": False, "endCursor": None},
                },
            }
        ],
    }
    lines = [
        {"id": lid, "sku": sku, "quantity": q, "variant": {"inventoryItem": {"id": item}}}
        for lid, sku, item, q in LINES
    ]
    return map_order(node, lines)


def _shape(facts: Any) -> list[tuple[str, str, list[tuple[str | None, int, str | None]]]]:
    assert isinstance(facts, OrderFacts)
    return [
        (m.movement_id, m.kind, [(line.sku, line.quantity, line.location_id) for line in m.lines])
        for m in facts.movements
    ]


def test_webhook_and_poll_of_one_order_give_the_same_movements() -> None:
    inbound = _inbound()
    by_webhook = inbound.webhook_facts(WebhookMessage("orders/updated", "evt-1", _webhook()))
    by_poll = inbound.order_facts(_polled())

    expected = [
        ("gid://shopify/Fulfillment/31", "fulfilment", [("TEE", 1, LOC)]),
        # the cancelled one undoes its shipment (if the hub applied it); the failed one moves nothing
        ("gid://shopify/Fulfillment/32", "fulfilment_cancelled", [("TEE", 1, LOC)]),
        ("gid://shopify/Refund/41", "return", [("TEE", 1, LOC)]),
        ("gid://shopify/Refund/41", "release", [("TEE", 1, LOC)]),  # no_restock, legacy_restock: nothing
    ]
    assert _shape(by_webhook) == _shape(by_poll) == expected
    assert isinstance(by_poll, OrderFacts) and isinstance(by_webhook, OrderFacts)
    assert (
        (by_poll.order_id, by_poll.cancelled) == (by_webhook.order_id, by_webhook.cancelled) == (ORDER, False)
    )
    assert by_poll.updated_at == datetime(2026, 5, 1, 10, tzinfo=UTC)
    # The poll names each movement line's inventory item, like the order's own lines.
    assert {line.item_id for m in by_poll.movements for line in m.lines} == {LINES[0][2]}
    assert by_poll.lines is not None and [line.item_id for line in by_poll.lines] == [LINES[0][2]]


def test_a_fulfilment_webhook_names_a_cancellation_by_the_fulfilment_id_and_a_failure_not_at_all() -> None:
    cancelled, failed = ({**f, "order_id": 1} for f in _webhook()["fulfillments"][1:])
    facts = _inbound().webhook_facts(WebhookMessage("fulfillments/update", "evt-2", cancelled))
    assert _shape(facts) == [("gid://shopify/Fulfillment/32", "fulfilment_cancelled", [("TEE", 1, LOC)])]
    facts = _inbound().webhook_facts(WebhookMessage("fulfillments/create", "evt-3", failed))
    assert isinstance(facts, OrderFacts) and facts.movements == ()


def test_a_polled_order_stored_before_movements_were_read_has_none() -> None:
    """Inbox rows written by an older poller carry no fulfillments or refunds: lines only."""
    old = RemoteOrder(ORDER, "open", datetime(2026, 5, 1, tzinfo=UTC), (), {"id": ORDER})
    facts = _inbound().order_facts(old)
    assert isinstance(facts, OrderFacts) and facts.movements == ()
