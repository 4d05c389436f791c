"""`fulfillmentCancel(id:)`: a merchant or an app undoing a shipment over Admin GraphQL.

The flow is `orders.cancel_fulfillment` (units back on hand and committed to the order again;
`fulfillments/update` and `orders/updated` emitted). The payload is `FulfillmentCancelPayload`:
the cancelled `fulfillment`, and `userErrors` of the plain `UserError` type (`field`, `message`;
no `code`). An id that names no fulfilment, or one that is not `SUCCESS` (already cancelled,
failed) or belongs to a cancelled order, is a user error and changes nothing; the wording of
those messages is the emulator's (no live capture of them).
"""

from __future__ import annotations

from typing import Any

from stockbridge.sandbox.shopify.orders import OrderFlowError, cancel_fulfillment
from stockbridge.sandbox.shopify.resolvers import Info, parse_gid, resolver, store_of


@resolver("Mutation", "fulfillmentCancel")
def fulfillment_cancel(_: Any, info: Info, args: dict[str, Any]) -> Any:
    number = parse_gid(args["id"], "Fulfillment")
    try:
        if number is None:
            raise OrderFlowError("NOT_FOUND", "Fulfillment does not exist.")
        fulfillment = cancel_fulfillment(store_of(info), number)
    except OrderFlowError as error:
        return {"fulfillment": None, "userErrors": [{"field": ["id"], "message": str(error)}]}
    return {"fulfillment": fulfillment, "userErrors": []}
