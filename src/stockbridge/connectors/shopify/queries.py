"""Every GraphQL document the Shopify connector sends, as constants (validated against the real SDL).

Each document has one named operation (the name is the `operation` label in metrics and errors)
and takes page sizes as variables, so the cost stays predictable. Only fields the connector maps
are selected: cost is charged per selected object. A selection used in more than one document is
a GraphQL fragment, defined once here; `_document` appends to an operation the fragments it uses
(and those they use), since a fragment a document defines but does not spread is invalid. A
fragment may use the operation's variables (`$levels`, `$lines`): every operation spreading it
declares them. A test validates every `*_QUERY` / `*_MUTATION` constant here against Shopify's
2026-04 schema.
"""

from __future__ import annotations

# --- fragments: name -> (definition, fragments it spreads) ---------------------------------

_FRAGMENTS: dict[str, tuple[str, tuple[str, ...]]] = {
    # An item's levels: where, and how many available.
    "LevelPage": (
        """
fragment LevelPage on InventoryLevelConnection {
  nodes { location { id } quantities(names: ["available"]) { name quantity } }
  pageInfo { hasNextPage endCursor }
}
""",
        (),
    ),
    "ItemLevels": (
        """
fragment ItemLevels on InventoryItem {
  id
  inventoryLevels(first: $levels) { ...LevelPage }
}
""",
        ("LevelPage",),
    ),
    # An order's lines, each naming its variant's inventory item.
    "OrderLinePage": (
        """
fragment OrderLinePage on LineItemConnection {
  nodes {
    id sku quantity currentQuantity
    variant { id inventoryItem { id } }
  }
  pageInfo { hasNextPage endCursor }
}
""",
        (),
    ),
    # What left an order after it was placed: fulfilments (each line shipped, from where; a
    # cancelled one keeps its lines) and refunds (each line's `restockType`: RETURN back on hand,
    # CANCEL unshipped units released, NO_RESTOCK / LEGACY_RESTOCK nothing).
    "FulfillmentLinePage": (
        """
fragment FulfillmentLinePage on FulfillmentLineItemConnection {
  nodes { quantity lineItem { id sku } }
  pageInfo { hasNextPage endCursor }
}
""",
        (),
    ),
    "RefundLinePage": (
        """
fragment RefundLinePage on RefundLineItemConnection {
  nodes { quantity restockType location { id } lineItem { id sku } }
  pageInfo { hasNextPage endCursor }
}
""",
        (),
    ),
    # One order, whole: its lines, fulfilments and refunds. `Order.fulfillments` and
    # `Order.refunds` are lists that come back whole without `first`; each line connection is
    # continued past its first page by the MORE_* documents below.
    "OrderWhole": (
        """
fragment OrderWhole on Order {
  id name createdAt updatedAt cancelledAt
  displayFinancialStatus displayFulfillmentStatus
  lineItems(first: $lines) { ...OrderLinePage }
  fulfillments {
    id status location { id }
    fulfillmentLineItems(first: $lines) { ...FulfillmentLinePage }
  }
  refunds {
    id
    refundLineItems(first: $lines) { ...RefundLinePage }
  }
}
""",
        ("OrderLinePage", "FulfillmentLinePage", "RefundLinePage"),
    ),
}


def _document(operation: str, *fragments: str) -> str:
    """`operation` followed by the named fragments and every fragment they spread, each once."""
    wanted: list[str] = []
    pending = list(fragments)
    while pending:
        name = pending.pop(0)
        if name not in wanted:
            wanted.append(name)
            pending.extend(_FRAGMENTS[name][1])
    return operation + "".join(_FRAGMENTS[name][0] for name in wanted)


# --- documents ----------------------------------------------------------------------------

SHOP_QUERY = """
query StockbridgeCheck {
  shop { id name myshopifyDomain }
}
"""

LOCATIONS_QUERY = """
query StockbridgeLocations($first: Int!, $after: String) {
  locations(first: $first, after: $after, includeInactive: true, sortKey: ID) {
    nodes { id name isActive }
    pageInfo { hasNextPage endCursor }
  }
}
"""

VARIANTS_QUERY = """
query StockbridgeVariants($first: Int!, $after: String) {
  productVariants(first: $first, after: $after, sortKey: ID) {
    nodes {
      id title sku updatedAt
      product { id }
      inventoryItem { id tracked }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

ITEM_LEVELS_QUERY = _document(
    """
query StockbridgeItemLevels($first: Int!, $after: String, $levels: Int!) {
  inventoryItems(first: $first, after: $after) {
    nodes { ...ItemLevels }
    pageInfo { hasNextPage endCursor }
  }
}
""",
    "ItemLevels",
)

LEVELS_BY_ITEM_QUERY = _document(
    """
query StockbridgeLevelsByItem($ids: [ID!]!, $levels: Int!) {
  nodes(ids: $ids) { ...ItemLevels }
}
""",
    "ItemLevels",
)

MORE_ITEM_LEVELS_QUERY = _document(
    """
query StockbridgeMoreItemLevels($id: ID!, $first: Int!, $after: String) {
  inventoryItem(id: $id) {
    inventoryLevels(first: $first, after: $after) { ...LevelPage }
  }
}
""",
    "LevelPage",
)

ORDERS_QUERY = _document(
    """
query StockbridgeOrders($first: Int!, $after: String, $query: String!, $lines: Int!) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    nodes { ...OrderWhole }
    pageInfo { hasNextPage endCursor }
  }
}
""",
    "OrderWhole",
)

# Which orders changed, and when: one cost point per order listed (about 8 for one read whole).
ORDER_VERSIONS_QUERY = """
query StockbridgeOrderVersions($first: Int!, $after: String, $query: String!) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    nodes { id updatedAt }
    pageInfo { hasNextPage endCursor }
  }
}
"""

ORDERS_BY_ID_QUERY = _document(
    """
query StockbridgeOrdersById($ids: [ID!]!, $lines: Int!) {
  nodes(ids: $ids) { ...OrderWhole }
}
""",
    "OrderWhole",
)

MORE_ORDER_LINES_QUERY = _document(
    """
query StockbridgeMoreOrderLines($id: ID!, $first: Int!, $after: String) {
  order(id: $id) {
    lineItems(first: $first, after: $after) { ...OrderLinePage }
  }
}
""",
    "OrderLinePage",
)

MORE_FULFILLMENT_LINES_QUERY = _document(
    """
query StockbridgeMoreFulfillmentLines($id: ID!, $first: Int!, $after: String) {
  fulfillment(id: $id) {
    fulfillmentLineItems(first: $first, after: $after) { ...FulfillmentLinePage }
  }
}
""",
    "FulfillmentLinePage",
)

MORE_REFUND_LINES_QUERY = _document(
    """
query StockbridgeMoreRefundLines($id: ID!, $first: Int!, $after: String) {
  refund(id: $id) {
    refundLineItems(first: $first, after: $after) { ...RefundLinePage }
  }
}
""",
    "RefundLinePage",
)

# 2026-04: `@idempotent(key:)` is mandatory and every quantity must carry `changeFromQuantity`.
SET_QUANTITIES_MUTATION = """
mutation StockbridgeSetQuantities($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id }
    userErrors { field message code }
  }
}
"""

ALL_DOCUMENTS: dict[str, str] = {
    name: value for name, value in dict(globals()).items() if name.endswith(("_QUERY", "_MUTATION"))
}
