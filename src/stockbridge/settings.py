"""One typed configuration, read from `STOCKBRIDGE_*` environment variables (or a .env file),
validated at start-up and passed down explicitly. Secrets are `SecretStr` and never logged.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STOCKBRIDGE_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./stockbridge.db",
        description="SQLAlchemy URL: sqlite:///path.db (embedded default) or postgresql+psycopg://...",
    )
    api_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list, description="Keys accepted in the X-API-Key header (comma separated in env)."
    )
    host: str = "127.0.0.1"
    port: int = 8700
    tenant_id: int = 1
    expiry_sweep_interval_s: float = Field(default=5.0, gt=0)
    log_level: str = "INFO"

    @field_validator("api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return [k.strip() for k in value.split(",") if k.strip()]
        return value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("database_url must be a sqlite:/// or postgresql+psycopg:// URL")
        return value
