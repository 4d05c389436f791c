"""API-key auth: constant-time check of X-API-Key against every configured key, never echoed."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import SecretStr

from stockbridge.api import create_app
from stockbridge.api.auth import AuthConfigurationError, key_matches
from stockbridge.services.context import HubContext
from stockbridge.settings import Settings
from tests.api.helpers import API_KEY, OTHER_KEY, V1, assert_problem, ok


@pytest.fixture
def offline_ctx() -> HubContext:
    """A context whose database is never touched: auth answers before any query."""
    return HubContext(sa.create_engine("sqlite://"))


def test_missing_key_is_a_401_problem(settings: Settings, offline_ctx: HubContext) -> None:
    client = TestClient(create_app(settings, offline_ctx, expiry_sweep=None))
    response = client.get(f"{V1}/skus")
    body = assert_problem(response, 401, "unauthorized")
    assert "X-API-Key" in body["detail"]
    assert response.headers["www-authenticate"] == 'ApiKey header="X-API-Key"'


def test_wrong_key_is_a_401_and_never_echoed(
    settings: Settings, offline_ctx: HubContext, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = TestClient(create_app(settings, offline_ctx, expiry_sweep=None))
    response = client.post(f"{V1}/events", json={}, headers={"X-API-Key": API_KEY + "x"})
    assert_problem(response, 401, "unauthorized")
    assert API_KEY not in response.text and API_KEY not in caplog.text


def test_every_configured_key_is_accepted(client: TestClient) -> None:
    assert ok(client.get(f"{V1}/skus")) == []
    assert ok(client.get(f"{V1}/skus", headers={"X-API-Key": OTHER_KEY})) == []


def test_healthz_and_docs_need_no_key(anonymous: TestClient) -> None:
    assert ok(anonymous.get("/healthz")) == {"status": "ok", "database": "ok"}
    assert anonymous.get("/docs").status_code == 200
    assert anonymous.get("/openapi.json").status_code == 200


def test_no_keys_configured_refuses_to_start(offline_ctx: HubContext) -> None:
    with pytest.raises(AuthConfigurationError, match="no API keys configured"):
        create_app(Settings(api_keys=[]), offline_ctx)


def test_an_empty_key_refuses_to_start(offline_ctx: HubContext) -> None:
    with pytest.raises(AuthConfigurationError, match="empty API key"):
        create_app(Settings(api_keys=[SecretStr("")]), offline_ctx)


def test_auth_can_be_switched_off_explicitly(ctx: HubContext) -> None:
    app = create_app(Settings(api_keys=[]), ctx, require_auth=False, expiry_sweep=None)
    assert ok(TestClient(app).get(f"{V1}/locations")) == []


def test_key_comparison_checks_all_keys() -> None:
    keys = [b"alpha", b"beta"]
    assert key_matches("beta", keys) and key_matches("alpha", keys)
    assert not key_matches("bet", keys) and not key_matches("", keys)


def test_customer_endpoints_sit_behind_the_same_key(settings: Settings, offline_ctx: HubContext) -> None:
    pytest.importorskip("stockbridge.identity.api")
    app = create_app(settings, offline_ctx, expiry_sweep=None)
    customer_paths = [p for p in app.openapi()["paths"] if p.startswith(f"{V1}/customers/")]
    assert customer_paths
    post_paths = [p for p in customer_paths if "post" in app.openapi()["paths"][p]]
    assert_problem(TestClient(app).post(post_paths[0], json={}), 401, "unauthorized")


def test_without_a_context_the_app_bootstraps_its_own_database(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'hub.db'}", api_keys=[SecretStr(API_KEY)])
    with TestClient(create_app(settings), headers={"X-API-Key": API_KEY}) as client:
        assert ok(client.get("/healthz"))["database"] == "ok"
        assert ok(client.put(f"{V1}/locations/WH1", json={}))["code"] == "WH1"
