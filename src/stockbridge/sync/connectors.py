"""Building an outbound `Connector` from a stored connection (the sync side's composition seam).

`ConnectorFactory` is what the worker and CLI take, so tests hand in fakes. `installed_connector`
is the default: the package `stockbridge.connectors.<platform>` is imported lazily; if it offers
`connector_from_config(config)` that is used, else a known adapter below maps the stored
connection (settings + secrets) onto the platform's own typed config.

Shopify: settings `shop_domain` (required) plus any other `ShopifyConfig` field; secrets
`access_token` and `api_secret`; the connection's `base_url`, when set, overrides the shop URL
(a loopback emulator). `push_location` is the sync engine's own setting and is not passed on.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from stockbridge.connectors.base import Connector
from stockbridge.errors import ValidationError
from stockbridge.services.connections import ConnectionConfig

ConnectorFactory = Callable[[ConnectionConfig], Connector]
SYNC_SETTINGS = frozenset({"push_location"})


class UnsupportedPlatformError(LookupError):
    """No installed connector can push to this platform."""


def installed_connector(config: ConnectionConfig) -> Connector:
    module_name = f"stockbridge.connectors.{config.platform}"
    try:
        module: Any = importlib.import_module(module_name)
    except ImportError as error:
        if error.name != module_name:
            raise
        raise UnsupportedPlatformError(f"no connector installed for platform {config.platform!r}") from None
    factory = getattr(module, "connector_from_config", None)
    if factory is not None:
        built: Connector = factory(config)
        return built
    adapter = _ADAPTERS.get(config.platform)
    if adapter is None:
        raise UnsupportedPlatformError(f"the {config.platform} connector cannot be built from a connection")
    return adapter(config)


def _shopify(config: ConnectionConfig) -> Connector:
    from pydantic import ValidationError as PydanticError

    from stockbridge.connectors.shopify import ShopifyConfig, build_connector

    settings = {k: v for k, v in config.view.settings.items() if k not in SYNC_SETTINGS}
    if config.view.base_url:
        settings.setdefault("base_url", config.view.base_url)
    try:
        typed = ShopifyConfig(
            **settings,
            access_token=config.secret("access_token"),
            api_secret=config.secret("api_secret"),
        )
    except PydanticError as error:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in error.errors())
        raise ValidationError(f"invalid Shopify connection {config.code!r}: {fields}", field=fields) from None
    connector: Connector = build_connector(config.code, typed)
    return connector


_ADAPTERS: dict[str, Callable[[ConnectionConfig], Connector]] = {"shopify": _shopify}
