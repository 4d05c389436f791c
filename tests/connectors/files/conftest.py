"""A hub with a small catalog (an `erp` connection with a SKU alias and a location code) and a
file-drop connection rooted in a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from stockbridge.connectors.files import FileDropConfig, FileDropIngestor
from stockbridge.services.catalog_places import (
    ChannelSpec,
    ListingSpec,
    LocationSpec,
    Rules,
    define_channel,
    define_listing,
    define_location,
)
from stockbridge.services.catalog_skus import SkuSpec, UnitSpec, define_sku
from stockbridge.services.context import HubContext


@pytest.fixture
def hub(ctx: HubContext) -> HubContext:
    define_location(ctx, LocationSpec("WH1", "Main warehouse", external_codes={"erp": "01"}))
    define_location(ctx, LocationSpec("WH2", "Second warehouse"))
    define_sku(ctx, SkuSpec("TEE", "Tee", units=(UnitSpec("case", 12),), aliases={"erp": ["AB-12"]}))
    define_sku(ctx, SkuSpec("MUG", "Mug"))
    define_channel(
        ctx, ChannelSpec("shop", "Web shop", "woocommerce", locations=("WH1",), rules=Rules(buffer=1))
    )
    define_listing(ctx, ListingSpec("shop", "TEE"))
    define_listing(ctx, ListingSpec("shop", "MUG"))
    return ctx


@pytest.fixture
def config(tmp_path: Path) -> FileDropConfig:
    return FileDropConfig(connection="erp", root=tmp_path / "drop", settle_polls=0)


@pytest.fixture
def ingestor(hub: HubContext, config: FileDropConfig) -> FileDropIngestor:
    ingestor = FileDropIngestor(hub, config)
    ingestor.folder.ensure()
    return ingestor


def drop(ingestor: FileDropIngestor, name: str, text: str | bytes) -> Path:
    path = ingestor.folder.inbox / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path
