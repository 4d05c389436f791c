"""Small builders for integration tests: a catalog with two warehouses and a channel."""

from __future__ import annotations

from stockbridge.services.catalog_places import (
    ChannelSpec,
    LocationSpec,
    Rules,
    define_channel,
    define_location,
)
from stockbridge.services.catalog_skus import SkuSpec, UnitSpec, define_sku
from stockbridge.services.context import HubContext
from stockbridge.services.ingest import IngestReport, ingest_events


def basic_catalog(ctx: HubContext) -> None:
    define_location(ctx, LocationSpec("WH1", "Main warehouse", external_codes={"erp": "01"}))
    define_location(ctx, LocationSpec("WH2", "Second warehouse"))
    define_sku(
        ctx,
        SkuSpec(
            "TSHIRT-BLUE-M",
            "Blue tee M",
            units=(UnitSpec("case", 12), UnitSpec("pallet", 40, "case")),
            aliases={"erp": ["AB-12"], "amazon": ["ab12-blue"]},
        ),
    )
    define_sku(ctx, SkuSpec("MUG", "Mug"))
    define_channel(ctx, ChannelSpec("shop", "Web shop", "shopify", locations=("WH1", "WH2"), rules=Rules()))


def receive(ctx: HubContext, sku: str, location: str, quantity: int, key: str | None = None) -> IngestReport:
    event = {"type": "receipt", "sku": sku, "location": location, "quantity": quantity}
    if key:
        event["idempotency_key"] = key
    return ingest_events(ctx, [event], source="test")
