"""`/wp-json/wc/v3/orders`, `/customers` and `/webhooks`.

Orders list by `status` (comma list or `any`), `modified_after`/`modified_before`, `after`,
`customer`, with WordPress pagination; `PUT /orders/{id}` changes status (stock moves as
`store` says). `POST /orders/{id}/refunds` takes `line_items` (`id` of the order line, `quantity`,
`refund_total`), `amount` (default: the lines' refund_total, else their value) and `api_restock`
(default true); `GET` lists refunds with their own negative line items. Webhooks created here subscribe the delivery URL with the
webhook's own secret; deliveries are signed with it, and a webhook whose deliveries failed more than
5 times in a row is disabled (WooCommerce never retries a failed delivery).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from aiohttp import web

from stockbridge.sandbox.webhooks import Subscription, WebhookDispatcher
from stockbridge.sandbox.woocommerce import serializers
from stockbridge.sandbox.woocommerce.models import Customer, Order, Webhook
from stockbridge.sandbox.woocommerce.rest import RestError, json_body, json_response, paginated
from stockbridge.sandbox.woocommerce.routes_catalog import API, check_batch_size, filter_and_sort
from stockbridge.sandbox.woocommerce.store import WooStore

MAX_FAILURES = 5
TOPICS = tuple(
    f"{r}.{e}"
    for r in ("coupon", "customer", "order", "product")
    for e in ("created", "updated", "deleted", "restored")
)


class SalesRoutes:
    def __init__(self, store: WooStore, webhooks: WebhookDispatcher) -> None:
        self.store = store
        self.dispatcher = webhooks
        self.webhooks: dict[int, Webhook] = {}

    def register(self, app: web.Application, guard: Callable[..., Any]) -> None:
        r = app.router
        r.add_get(f"{API}/orders", guard(self.list_orders))
        r.add_get(f"{API}/orders/{{id:\\d+}}", guard(self.get_order))
        r.add_route("PUT", f"{API}/orders/{{id:\\d+}}", guard(self.update_order))
        r.add_post(f"{API}/orders/batch", guard(self.batch_orders))
        r.add_get(f"{API}/orders/{{id:\\d+}}/refunds", guard(self.list_refunds))
        r.add_post(f"{API}/orders/{{id:\\d+}}/refunds", guard(self.create_refund))
        r.add_get(f"{API}/customers", guard(self.list_customers))
        r.add_post(f"{API}/customers", guard(self.create_customer))
        r.add_get(f"{API}/customers/{{id:\\d+}}", guard(self.get_customer))
        r.add_route("PUT", f"{API}/customers/{{id:\\d+}}", guard(self.update_customer))
        r.add_get(f"{API}/webhooks", guard(self.list_webhooks))
        r.add_post(f"{API}/webhooks", guard(self.create_webhook))
        r.add_delete(f"{API}/webhooks/{{id:\\d+}}", guard(self.delete_webhook))

    def _order(self, request: web.Request) -> Order:
        order = self.store.orders.get(int(request.match_info["id"]))
        if order is None or order.status == "trash":
            raise RestError("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 404)
        return order

    async def list_orders(self, request: web.Request) -> web.Response:
        records = [o for o in self.store.orders.values() if o.status != "trash"]
        records = filter_and_sort(request, records, {"status": "status", "customer": "customer_id"})
        page, headers = paginated(request, records)
        return json_response([serializers.order(self.store, o) for o in page], headers=headers)

    async def get_order(self, request: web.Request) -> web.Response:
        return json_response(serializers.order(self.store, self._order(request)))

    async def update_order(self, request: web.Request) -> web.Response:
        order = self.store.update_order(self._order(request), await json_body(request))
        return json_response(serializers.order(self.store, order))

    async def list_refunds(self, request: web.Request) -> web.Response:
        order = self._order(request)
        return json_response([serializers.refund(order, r) for r in order.refunds])

    async def create_refund(self, request: web.Request) -> web.Response:
        order = self._order(request)
        body = await json_body(request)
        given = body.get("line_items") or []
        lines = [(int(li["id"]), int(li.get("quantity", 0))) for li in given if li.get("quantity")]
        amount = Decimal(str(body["amount"])) if body.get("amount") not in (None, "") else None
        if amount is None and any("refund_total" in li for li in given):
            # WooCommerce sums the lines' refund_total when no amount is sent (RestApiParameterUtil)
            amount = sum((Decimal(str(li.get("refund_total") or 0)) for li in given), start=Decimal("0"))
        refund = self.store.refund_order(
            order, amount, lines, bool(body.get("api_restock", True)), str(body.get("reason", ""))
        )
        return json_response(serializers.refund(order, refund), status=201)

    async def batch_orders(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        check_batch_size(body)
        updated = []
        for item in body.get("update") or []:
            order = self.store.orders.get(int(item.get("id") or 0))
            if order is None:
                error = {
                    "code": "woocommerce_rest_shop_order_invalid_id",
                    "message": "Invalid ID.",
                    "data": {"status": 404},
                }
                updated.append({"id": int(item.get("id") or 0), "error": error})
                continue
            updated.append(serializers.order(self.store, self.store.update_order(order, item)))
        return json_response({"update": updated})

    def _customer(self, request: web.Request) -> Customer:
        customer = self.store.customers.get(int(request.match_info["id"]))
        if customer is None:
            raise RestError("woocommerce_rest_invalid_id", "Invalid resource ID.", 404)
        return customer

    async def list_customers(self, request: web.Request) -> web.Response:
        records = sorted(self.store.customers.values(), key=lambda c: c.id)
        if "email" in request.query:
            records = [c for c in records if c.email == request.query["email"]]
        page, headers = paginated(request, records)
        return json_response([serializers.customer(c) for c in page], headers=headers)

    async def get_customer(self, request: web.Request) -> web.Response:
        return json_response(serializers.customer(self._customer(request)))

    async def create_customer(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        if not body.get("email"):
            raise RestError("rest_missing_callback_param", "Missing parameter(s): email", 400)
        customer = self.store.add_customer(
            body["email"], body.get("first_name", ""), body.get("last_name", "")
        )
        return json_response(serializers.customer(customer), status=201)

    async def update_customer(self, request: web.Request) -> web.Response:
        customer = self.store.update_customer(self._customer(request), await json_body(request))
        return json_response(serializers.customer(customer))

    def record_delivery(self, subscription: Subscription, ok: bool) -> None:
        """WooCommerce disables a webhook after more than 5 consecutive failed deliveries."""
        hook = self.webhooks.get(subscription.id)
        if hook is None:
            return
        hook.failure_count = 0 if ok else hook.failure_count + 1
        if hook.failure_count > MAX_FAILURES:
            hook.status = "disabled"
            self.dispatcher.unsubscribe(subscription.id)

    async def list_webhooks(self, request: web.Request) -> web.Response:
        page, headers = paginated(request, sorted(self.webhooks.values(), key=lambda w: w.id))
        return json_response([serializers.webhook(w) for w in page], headers=headers)

    async def create_webhook(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        topic, url = body.get("topic"), body.get("delivery_url")
        if topic not in TOPICS or not url:
            raise RestError("rest_invalid_param", "Invalid parameter(s): topic, delivery_url", 400)
        secret = str(body.get("secret") or "")
        sub = self.dispatcher.subscribe(topic, url, secret)
        hook = Webhook(
            sub.id,
            str(body.get("name") or topic),
            topic,
            url,
            secret,
            self.store.clock.now(),
            subscription_id=sub.id,
        )
        hook.status = str(body.get("status") or "active")
        if hook.status != "active":
            self.dispatcher.unsubscribe(sub.id)
        self.webhooks[hook.id] = hook
        return json_response(serializers.webhook(hook), status=201)

    async def delete_webhook(self, request: web.Request) -> web.Response:
        hook = self.webhooks.pop(int(request.match_info["id"]), None)
        if hook is None:
            raise RestError("woocommerce_rest_webhook_invalid_id", "Invalid ID.", 404)
        self.dispatcher.unsubscribe(hook.subscription_id)
        return json_response(serializers.webhook(hook))
