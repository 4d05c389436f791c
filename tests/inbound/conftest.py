"""Fixtures for inbound tests: the hub of `helpers.hub`, a fake connector, an app with it; async
tests (the emulator ones) run on asyncio through anyio's pytest plugin."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from stockbridge.api import create_app
from stockbridge.services.context import HubContext
from stockbridge.settings import Settings
from tests.inbound.fakes import FakeConnector
from tests.inbound.helpers import SECRET, hub


@pytest.fixture
def shop(ctx: HubContext) -> HubContext:
    hub(ctx)
    return ctx


@pytest.fixture
def fake() -> FakeConnector:
    return FakeConnector(SECRET)


@pytest.fixture
def client(shop: HubContext, fake: FakeConnector) -> Iterator[TestClient]:
    """The real app (API keys required elsewhere); webhooks are verified by the fake connector."""
    app = create_app(Settings(api_keys=[SecretStr("a-real-key")]), shop, expiry_sweep=None)
    app.state.connector_source = fake.for_config
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
