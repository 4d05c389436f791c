"""The typed configuration of one Shopify connection (pydantic, validated at the edge).

Owns: which shop (`shop_domain`, or an explicit `base_url` such as a loopback emulator), the
credentials (`access_token` for the Admin API, `api_secret` for webhook HMACs, both `SecretStr`
so they never reach a log or a repr), the pinned API version, the inventory reason and reference
URI the writer stamps on every push, how often a push refused as stale is re-sent from the shop's
current level (`stale_retries`), page sizes chosen to keep each query under Shopify's
1000-point single-query cap, and the client-side cost bucket's starting guess.
"""

from __future__ import annotations

import re
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

API_VERSION: Final = "2026-04"
_SHOP = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")


class ShopifyConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    shop_domain: str = Field(description="the shop's permanent myshopify.com domain")
    access_token: SecretStr
    api_secret: SecretStr = Field(description="the app's client secret: the webhook HMAC key")
    api_version: Literal["2026-04"] = API_VERSION
    base_url: str | None = Field(
        default=None, description="override for https://{shop_domain} (e.g. a loopback emulator)"
    )
    inventory_reason: str = "correction"
    reference_uri_prefix: str = "gid://stockbridge/InventoryPush"
    location_page_size: int = Field(default=100, ge=1, le=250)
    variant_page_size: int = Field(default=200, ge=1, le=250)
    item_page_size: int = Field(default=25, ge=1, le=250)
    levels_per_item: int = Field(default=10, ge=1, le=250)
    order_page_size: int = Field(default=12, ge=1, le=250)
    lines_per_order: int = Field(default=25, ge=1, le=250)
    bucket_maximum: float = Field(default=1000.0, gt=0)
    stale_retries: int = Field(
        default=2,
        ge=0,
        le=10,
        description="re-sends of a change refused as stale, from the level the shop holds now (see writers)",
    )
    bucket_restore_rate: float = Field(default=50.0, gt=0)

    @field_validator("shop_domain")
    @classmethod
    def _is_myshopify_domain(cls, value: str) -> str:
        value = value.strip().lower()
        if not _SHOP.match(value):
            raise ValueError("shop_domain must look like 'my-shop.myshopify.com'")
        return value

    @field_validator("base_url")
    @classmethod
    def _is_http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        return value.rstrip("/") if value else value

    @property
    def endpoint(self) -> str:
        """`POST` target of every Admin GraphQL call."""
        root = self.base_url or f"https://{self.shop_domain}"
        return f"{root}/admin/api/{self.api_version}/graphql.json"
