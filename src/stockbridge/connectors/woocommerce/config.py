"""The typed configuration of one WooCommerce connection (pydantic, validated at the edge).

Owns: the site's base URL (REST v3 lives under `/wp-json/wc/v3/`), the REST API key pair and the
webhook secret (all `SecretStr`, so they never reach a log or a repr), the OAuth 1.0a signature
method used over plain http, the page size of list calls, and the client-side request rate
(WooCommerce core has no REST rate limit; hosts and WAFs do, so the rate is configurable).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

API_PATH = "/wp-json/wc/v3"


class WooCommerceConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str = Field(description="the site's home URL, e.g. https://shop.example.com")
    consumer_key: SecretStr
    consumer_secret: SecretStr
    webhook_secret: SecretStr = Field(description="the secret set on the site's webhooks")
    # "auto": Basic over https, OAuth 1.0a over http. WooCommerce decides by what *it* sees
    # (`is_ssl()`), so a site behind a TLS terminator that does not pass the scheme on may need
    # "oauth" although we speak https, and one that does may take "basic" over an http hop.
    auth: Literal["auto", "basic", "oauth"] = "auto"
    signature_method: Literal["HMAC-SHA256", "HMAC-SHA1"] = "HMAC-SHA256"
    per_page: int = Field(default=100, ge=1, le=100)
    requests_per_second: float = Field(default=5.0, gt=0)
    burst: int = Field(default=5, ge=1)
    location_id: str = Field(default="default", min_length=1, description="the one synthetic location")
    overwrite_corrections: int = Field(
        default=2,
        ge=0,
        le=10,
        description="follow-up writes that take off sales a push overwrote (see writers)",
    )

    @field_validator("base_url")
    @classmethod
    def _is_http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        return value.rstrip("/")

    @property
    def api_root(self) -> str:
        return self.base_url + API_PATH

    @property
    def uses_basic_auth(self) -> bool:
        """Over https WooCommerce takes HTTP Basic; over http it demands OAuth 1.0a signatures."""
        if self.auth != "auto":
            return self.auth == "basic"
        return self.base_url.startswith("https://")
