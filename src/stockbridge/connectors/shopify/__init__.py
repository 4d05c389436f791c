"""The Shopify connector: Admin GraphQL 2026-04, compare-and-set level pushes, signed webhooks.

config      ShopifyConfig (shop, SecretStr credentials, pinned version, page sizes)
client      GraphQL POST, error table, cost bucket fed by throttleStatus
queries     every GraphQL document (validated against the real SDL by a test)
mappers     GraphQL nodes <-> connector values
streams     locations, variants, levels, orders with cursors
writers     inventorySetQuantities with changeFromQuantity + @idempotent
webhooks    HMAC verification and parsing
connector   ShopifyConnector and build_connector
"""

from stockbridge.connectors.shopify.client import ShopifyGraphQLClient
from stockbridge.connectors.shopify.config import API_VERSION, ShopifyConfig
from stockbridge.connectors.shopify.connector import CAPABILITIES, ShopifyConnector, build_connector

__all__ = [
    "API_VERSION",
    "CAPABILITIES",
    "ShopifyConfig",
    "ShopifyConnector",
    "ShopifyGraphQLClient",
    "build_connector",
]
