"""WooCommerce REST v3 connector: products and variations with their stock, orders by
`modified_after`, stock pushed as deltas in batches of 100 (no compare-and-set), webhooks verified
by `X-WC-Webhook-Signature`. OAuth 1.0a over http, HTTP Basic over https."""

from stockbridge.connectors.woocommerce.config import WooCommerceConfig
from stockbridge.connectors.woocommerce.connector import (
    CAPABILITIES,
    WooCommerceConnector,
    build_connector,
    connector_from_config,
)

__all__ = [
    "CAPABILITIES",
    "WooCommerceConfig",
    "WooCommerceConnector",
    "build_connector",
    "connector_from_config",
]
