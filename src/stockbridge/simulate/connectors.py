"""How the simulator's hub processes build connectors: the installed ones, bridged where a piece is missing.

At the time of writing the installed outbound factory (`sync.connectors.installed_connector`)
cannot build a WooCommerce connector from a stored connection (no adapter, and the package has no
`connector_from_config`), and so neither the worker nor the hub's WooCommerce inbound adapter
can be built. `sim_connector` fills that gap for the simulator only (WooCommerce from the
connection's settings and secrets); `sim_inbound` is the hub's installed inbound source, with
its own WooCommerce adapter wrapped around `sim_connector`. Each falls back only where the
installed path raises "unsupported", so the packages' own implementations win once they land.
"""

from __future__ import annotations

from stockbridge.connectors.base import Connector
from stockbridge.services.connections import ConnectionConfig
from stockbridge.sync import connectors as outbound
from stockbridge.sync import inbound_bindings as inbound
from stockbridge.sync.inbound_bindings import InboundConnector

WOO_SETTINGS = frozenset(
    {"auth", "signature_method", "per_page", "requests_per_second", "burst", "location_id"}
)


def sim_connector(config: ConnectionConfig) -> Connector:
    """The installed outbound connector, or (WooCommerce) one built from the stored connection."""
    try:
        return outbound.installed_connector(config)
    except outbound.UnsupportedPlatformError:
        if config.platform != "woocommerce":
            raise
    return _woocommerce(config)


def _woocommerce(config: ConnectionConfig) -> Connector:
    from stockbridge.connectors.woocommerce import WooCommerceConfig, build_connector

    settings = {k: v for k, v in config.view.settings.items() if k in WOO_SETTINGS}
    typed = WooCommerceConfig(
        base_url=config.view.base_url,
        consumer_key=config.secret("consumer_key"),
        consumer_secret=config.secret("consumer_secret"),
        webhook_secret=config.secret("webhook_secret"),
        **settings,
    )
    connector: Connector = build_connector(config.code, typed)
    return connector


def sim_inbound(config: ConnectionConfig) -> InboundConnector:
    """The hub's installed inbound adapter; for WooCommerce its adapter around `sim_connector`
    (the installed outbound factory cannot build a WooCommerce connector yet)."""
    try:
        return inbound.installed_connector_source(config)
    except outbound.UnsupportedPlatformError:
        if config.platform != "woocommerce":
            raise
    from stockbridge.connectors.woocommerce import WooCommerceConnector
    from stockbridge.sync.inbound_woocommerce import WooInbound

    connector = sim_connector(config)
    assert isinstance(connector, WooCommerceConnector)
    return WooInbound(connector)
