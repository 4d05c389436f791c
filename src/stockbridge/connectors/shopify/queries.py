"""Every GraphQL document the Shopify connector sends, as constants (validated against the real SDL).

Each document has a named operation (the name is the `operation` label in metrics and errors)
and takes page sizes as variables, so the cost stays predictable. Only fields the connector maps
are selected: cost is charged per selected object. A test validates every `*_QUERY` / `*_MUTATION`
constant here against Shopify's 2026-04 schema.
"""

from __future__ import annotations

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

_LEVEL_FIELDS = """
      id
      inventoryLevels(first: $levels) {
        nodes { location { id } quantities(names: ["available"]) { name quantity } }
        pageInfo { hasNextPage endCursor }
      }
"""

ITEM_LEVELS_QUERY = (
    """
query StockbridgeItemLevels($first: Int!, $after: String, $levels: Int!) {
  inventoryItems(first: $first, after: $after) {
    nodes {"""
    + _LEVEL_FIELDS
    + """    }
    pageInfo { hasNextPage endCursor }
  }
}
"""
)

LEVELS_BY_ITEM_QUERY = (
    """
query StockbridgeLevelsByItem($ids: [ID!]!, $levels: Int!) {
  nodes(ids: $ids) {
    ... on InventoryItem {"""
    + _LEVEL_FIELDS
    + """    }
  }
}
"""
)

MORE_ITEM_LEVELS_QUERY = """
query StockbridgeMoreItemLevels($id: ID!, $first: Int!, $after: String) {
  inventoryItem(id: $id) {
    inventoryLevels(first: $first, after: $after) {
      nodes { location { id } quantities(names: ["available"]) { name quantity } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

_ORDER_LINES = """
        nodes {
          id sku quantity currentQuantity
          variant { id inventoryItem { id } }
        }
        pageInfo { hasNextPage endCursor }
"""

# What left an order after it was placed: fulfilments (each line shipped, from where) and
# refunds (each line's `restockType`: RETURN back on hand, CANCEL unshipped units released,
# NO_RESTOCK / LEGACY_RESTOCK nothing). `Order.fulfillments` and `Order.refunds` are lists that
# come back whole without `first`; their lines are connections, continued like the order's own.
_FULFILLMENT_LINES = """
        nodes { quantity lineItem { id sku } }
        pageInfo { hasNextPage endCursor }
"""

_REFUND_LINES = """
        nodes { quantity restockType location { id } lineItem { id sku } }
        pageInfo { hasNextPage endCursor }
"""

# One order, whole: its lines, fulfilments and refunds (each line connection continued past its
# first page by the MORE_* documents below).
_ORDER_NODE = (
    """
      id name createdAt updatedAt cancelledAt
      displayFinancialStatus displayFulfillmentStatus
      lineItems(first: $lines) {"""
    + _ORDER_LINES
    + """      }
      fulfillments {
        id status location { id }
        fulfillmentLineItems(first: $lines) {"""
    + _FULFILLMENT_LINES
    + """        }
      }
      refunds {
        id
        refundLineItems(first: $lines) {"""
    + _REFUND_LINES
    + """        }
      }
"""
)

ORDERS_QUERY = (
    """
query StockbridgeOrders($first: Int!, $after: String, $query: String!, $lines: Int!) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    nodes {"""
    + _ORDER_NODE
    + """    }
    pageInfo { hasNextPage endCursor }
  }
}
"""
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

ORDERS_BY_ID_QUERY = (
    """
query StockbridgeOrdersById($ids: [ID!]!, $lines: Int!) {
  nodes(ids: $ids) {
    ... on Order {"""
    + _ORDER_NODE
    + """    }
  }
}
"""
)

MORE_ORDER_LINES_QUERY = (
    """
query StockbridgeMoreOrderLines($id: ID!, $first: Int!, $after: String) {
  order(id: $id) {
    lineItems(first: $first, after: $after) {"""
    + _ORDER_LINES
    + """    }
  }
}
"""
)

MORE_FULFILLMENT_LINES_QUERY = (
    """
query StockbridgeMoreFulfillmentLines($id: ID!, $first: Int!, $after: String) {
  fulfillment(id: $id) {
    fulfillmentLineItems(first: $first, after: $after) {"""
    + _FULFILLMENT_LINES
    + """    }
  }
}
"""
)

MORE_REFUND_LINES_QUERY = (
    """
query StockbridgeMoreRefundLines($id: ID!, $first: Int!, $after: String) {
  refund(id: $id) {
    refundLineItems(first: $first, after: $after) {"""
    + _REFUND_LINES
    + """    }
  }
}
"""
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
