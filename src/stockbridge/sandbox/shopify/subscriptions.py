"""`webhookSubscriptionCreate` / `webhookSubscriptionDelete`: subscribing over GraphQL as an app does.

Topics arrive as the GraphQL enum (`INVENTORY_LEVELS_UPDATE`) and are stored under their REST name
(`inventory_levels/update`), which is what `X-Shopify-Topic` carries. Unlike Shopify, plain `http://`
loopback URIs are accepted, because the subscribers in tests and simulations listen on loopback.
"""

from __future__ import annotations

from typing import Any

from stockbridge.sandbox.shopify.resolvers import Info, RequestContext, parse_gid, resolver


def rest_topic(enum_value: str) -> str:
    """`INVENTORY_LEVELS_UPDATE` -> `inventory_levels/update`."""
    resource, _, action = enum_value.lower().rpartition("_")
    return f"{resource}/{action}"


def _subscription_view(sub_id: int, topic: str, uri: str, version: str) -> dict[str, Any]:
    return {
        "id": f"gid://shopify/WebhookSubscription/{sub_id}",
        "legacyResourceId": str(sub_id),
        "topic": topic,
        "uri": uri,
        "callbackUrl": uri,
        "format": "JSON",
        "includeFields": [],
        "metafieldNamespaces": [],
        "filter": None,
        "name": None,
        "apiVersion": {"handle": version, "displayName": version, "supported": True},
        "endpoint": {"__typename": "WebhookHttpEndpoint", "callbackUrl": uri},
    }


@resolver("Mutation", "webhookSubscriptionCreate")
def webhook_subscription_create(_: Any, info: Info, args: dict[str, Any]) -> Any:
    context: RequestContext = info.context
    spec = args["webhookSubscription"]
    uri = spec.get("uri") or spec.get("callbackUrl")
    if not uri or not str(uri).startswith(("https://", "http://")):
        error = {"field": ["webhookSubscription", "uri"], "message": "Address is invalid"}
        return {"webhookSubscription": None, "userErrors": [error]}
    sub = context.webhooks.subscribe(rest_topic(args["topic"]), str(uri))
    return {
        "webhookSubscription": _subscription_view(sub.id, args["topic"], str(uri), context.version),
        "userErrors": [],
    }


@resolver("Mutation", "webhookSubscriptionDelete")
def webhook_subscription_delete(_: Any, info: Info, args: dict[str, Any]) -> Any:
    context: RequestContext = info.context
    number = parse_gid(args["id"], "WebhookSubscription")
    if number is None or not context.webhooks.unsubscribe(number):
        return {
            "deletedWebhookSubscriptionId": None,
            "userErrors": [{"field": ["id"], "message": "Webhook subscription does not exist"}],
        }
    return {"deletedWebhookSubscriptionId": args["id"], "userErrors": []}
