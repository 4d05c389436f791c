"""Apply `CatalogRow`s through the catalog services, one record per transaction, in dependency
order (locations, SKUs, bundles, channels, listings). Defining is an upsert, so importing the same
catalog again changes nothing. A rejected record is reported with where it came from; it is not
an inventory event, so it is not quarantined: fix the file and import it again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from stockbridge.cli_commands.catalog_formats import KINDS, CatalogRow, Spec
from stockbridge.errors import StockbridgeError
from stockbridge.services.catalog_places import (
    ChannelSpec,
    ListingSpec,
    LocationSpec,
    define_channel,
    define_listing,
    define_location,
)
from stockbridge.services.catalog_skus import SkuSpec, define_sku
from stockbridge.services.context import HubContext


@dataclass
class CatalogImportReport:
    defined: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    rejected: list[CatalogRow] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "defined": self.defined,
            "rejected": [{"kind": r.kind, "where": r.where, "error": r.error} for r in self.rejected],
        }


def import_catalog(
    ctx: HubContext, rows: Sequence[CatalogRow], *, on_row: Callable[[], None] = lambda: None
) -> CatalogImportReport:
    report = CatalogImportReport()
    for row in rows:
        if row.spec is None:
            report.rejected.append(row)
        else:
            try:
                define(ctx, row.spec)
                report.defined[row.kind] += 1
            except StockbridgeError as error:
                where = error.fields.get("field")
                message = f"{where}: {error.message}" if where else error.message
                report.rejected.append(CatalogRow(row.kind, row.where, row.spec, f"{row.code}: {message}"))
        on_row()
    return report


def define(ctx: HubContext, spec: Spec) -> None:
    if isinstance(spec, LocationSpec):
        define_location(ctx, spec)
    elif isinstance(spec, SkuSpec):
        define_sku(ctx, spec)
    elif isinstance(spec, ChannelSpec):
        define_channel(ctx, spec)
    elif isinstance(spec, ListingSpec):
        define_listing(ctx, spec)
