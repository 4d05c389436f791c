"""Discovery: read a channel's locations and variants through its connector and bind them.

The matching rules (SKU code, then the connection's alias; location codes) and the report of
every unmatched item live in `services.bindings.bind_catalog`; this module only does the I/O.
"""

from __future__ import annotations

from stockbridge.connectors.base import Connector, RemoteLocation, RemoteVariant
from stockbridge.services.bindings import BindReport, bind_catalog
from stockbridge.services.context import HubContext


async def discover(ctx: HubContext, connection: str, connector: Connector) -> BindReport:
    locations: list[RemoteLocation] = [location async for location in connector.locations()]
    variants: list[RemoteVariant] = [variant async for variant in connector.variants()]
    return bind_catalog(ctx, connection, variants, locations)
