"""Request and response bodies for the catalog: SKUs, locations, channels and listings."""

from __future__ import annotations

from pydantic import BaseModel, Field

from stockbridge.api.schemas_common import InputModel
from stockbridge.services.catalog_places import LocationSpec, Rules
from stockbridge.services.catalog_skus import SkuSpec, UnitSpec


class UnitIn(InputModel):
    name: str = Field(min_length=1, examples=["case"])
    factor: int = Field(ge=1, description="How many of `of` (or of the base unit) this unit holds.")
    of: str | None = Field(default=None, description='Defined in terms of another unit ("pallet = 40 case").')


class SkuIn(InputModel):
    title: str = ""
    product: str | None = Field(default=None, description="Product handle grouping variants.")
    base_unit: str = Field(default="unit", min_length=1)
    units: list[UnitIn] = Field(default_factory=list)
    aliases: dict[str, list[str]] = Field(default_factory=dict, description="connection -> aliases there")
    components: dict[str, int] | None = Field(
        default=None, description="Set for a bundle: component SKU code -> quantity per bundle."
    )

    def to_spec(self, code: str) -> SkuSpec:
        return SkuSpec(
            code=code,
            title=self.title,
            product=self.product,
            base_unit=self.base_unit,
            units=tuple(UnitSpec(u.name, u.factor, u.of) for u in self.units),
            aliases=self.aliases,
            components=self.components,
        )


class SkuOut(BaseModel):
    code: str
    title: str
    product: str | None
    base_unit: str
    is_bundle: bool
    units: dict[str, int] = Field(description="unit -> base units it holds")
    aliases: dict[str, list[str]]
    components: dict[str, int]


class AliasIn(InputModel):
    connection: str = Field(min_length=1, examples=["amazon"])
    alias: str = Field(min_length=1, examples=["ab12-blue"])


class LocationIn(InputModel):
    name: str = ""
    kind: str = Field(default="warehouse", description="warehouse, store, 3pl or in_transit")
    online: bool = True
    external_codes: dict[str, str] = Field(default_factory=dict, description="connection -> code there")

    def to_spec(self, code: str) -> LocationSpec:
        return LocationSpec(code, self.name, self.kind, self.online, self.external_codes)


class LocationOnlineIn(InputModel):
    online: bool


class LocationOut(BaseModel):
    code: str
    name: str
    kind: str
    online: bool
    external_codes: dict[str, str]


class RulesIn(InputModel):
    """Selling rules. On a channel an omitted rule keeps its default; on a listing, the channel's."""

    buffer: int | None = Field(default=None, ge=0, description="Units held back from the channel.")
    max_quantity: int | None = Field(default=None, ge=0, description="Never show more than this.")
    share_percent: int | None = Field(default=None, ge=0, le=100, description="Share, rounded down.")
    stop_below: int | None = Field(default=None, ge=0, description="Show 0 when below this.")

    def to_rules(self) -> Rules:
        return Rules(self.buffer, self.max_quantity, self.share_percent, self.stop_below)


class RulesOut(BaseModel):
    buffer: int | None
    max_quantity: int | None
    share_percent: int | None
    stop_below: int | None


class ChannelIn(InputModel):
    name: str = ""
    platform: str = "generic"
    locations: list[str] = Field(default_factory=list, description="Location codes that feed it.")
    rules: RulesIn = Field(default_factory=RulesIn)


class ChannelOut(BaseModel):
    code: str
    name: str
    platform: str
    locations: list[str]
    rules: RulesOut


class ListingIn(InputModel):
    rules: RulesIn = Field(default_factory=RulesIn)
    locations: list[str] | None = Field(default=None, description="None: the channel's locations.")


class ListingOut(BaseModel):
    channel: str
    sku: str
    rules: RulesOut = Field(description="The rules in effect (the listing's, else the channel's).")
    locations: list[str] = Field(description="Locations that feed this listing.")
    available_to_sell: int
