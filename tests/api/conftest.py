"""An API client per test on the shared `ctx` (SQLite and PostgreSQL), authenticated by default."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from stockbridge.api import create_app
from stockbridge.services.context import HubContext
from stockbridge.settings import Settings
from tests.api.helpers import API_KEY, OTHER_KEY


@pytest.fixture
def settings() -> Settings:
    return Settings(api_keys=[SecretStr(API_KEY), SecretStr(OTHER_KEY)])


@pytest.fixture
def anonymous(settings: Settings, ctx: HubContext) -> Iterator[TestClient]:
    """A client without credentials (the background sweeper is off: tests drive expiry)."""
    app = create_app(settings, ctx, expiry_sweep=None)
    with TestClient(app) as client:
        yield client


@pytest.fixture
def client(anonymous: TestClient) -> TestClient:
    anonymous.headers["X-API-Key"] = API_KEY
    return anonymous
