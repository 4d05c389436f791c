"""Every error is RFC 9457 problem+json naming the field; internals never leak; OpenAPI is served."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from fastapi.testclient import TestClient

from stockbridge.api import create_app
from stockbridge.api.deps import get_ctx
from stockbridge.api.problems import field_path
from stockbridge.api.sweeper import ExpirySweeper
from stockbridge.services.context import HubContext
from stockbridge.settings import Settings
from tests.api.helpers import API_KEY, V1, assert_problem, define_catalog


def test_request_validation_errors_are_problems_naming_the_field(client: TestClient) -> None:
    response = client.put(f"{V1}/skus/BOX", json={"units": [{"name": "case", "factor": 0}]})
    body = assert_problem(response, 422, "validation_error")
    assert body["field"] == "units[0].factor"
    assert body["errors"][0]["field"] == "units[0].factor"
    assert body["type"] == "urn:stockbridge:problem:validation_error"
    assert body["instance"] == f"{V1}/skus/BOX"


def test_unknown_fields_and_bad_query_parameters_are_named(client: TestClient) -> None:
    typo = assert_problem(client.put(f"{V1}/locations/WH9", json={"onlin": False}), 422, "validation_error")
    assert typo["field"] == "onlin"
    limit = assert_problem(client.get(f"{V1}/skus", params={"limit": 0}), 422, "validation_error")
    assert limit["field"] == "limit"


def test_malformed_json_is_a_problem_about_the_whole_body(client: TestClient) -> None:
    response = client.post(
        f"{V1}/reservations", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert assert_problem(response, 422, "validation_error")["field"] == "$"


def test_domain_errors_keep_their_code_status_and_fields(client: TestClient) -> None:
    define_catalog(client)
    missing = assert_problem(client.get(f"{V1}/skus/NOPE"), 404, "not_found")
    assert missing["sku"] == "NOPE" and missing["detail"] == "no SKU 'NOPE'"
    alias = client.post(f"{V1}/skus/MUG/aliases", json={"connection": "erp", "alias": "T-1"})
    conflict = assert_problem(alias, 409, "alias_conflict")
    assert conflict["existing_sku"] == "TEE" and conflict["field"] == "aliases"
    channel = client.put(f"{V1}/channels/web", json={"locations": ["WH1", "NOWHERE"]})
    assert assert_problem(channel, 422, "unknown_reference")["field"] == "locations"
    bundle = client.put(f"{V1}/skus/SET", json={"components": {"MUG": 1, "GHOST": 1}})
    assert assert_problem(bundle, 422, "unknown_reference")["field"] == "components"
    assert_problem(client.patch(f"{V1}/locations/NOWHERE", json={"online": False}), 404, "not_found")
    assert_problem(client.post(f"{V1}/skus/GHOST/aliases", json={"connection": "c", "alias": "a"}), 404,
                   "not_found")  # fmt: skip
    assert_problem(client.get(f"{V1}/no-such-route"), 404, "not_found")
    assert_problem(client.delete(f"{V1}/skus/MUG"), 405, "method_not_allowed")


def test_unexpected_errors_are_a_500_without_internals(settings: Settings, ctx: HubContext) -> None:
    def broken_ctx() -> HubContext:
        raise RuntimeError("password=hunter2 at db.internal:5432")

    app = create_app(settings, ctx, expiry_sweep=None)
    app.dependency_overrides[get_ctx] = broken_ctx
    client = TestClient(app, raise_server_exceptions=False, headers={"X-API-Key": API_KEY})
    body = assert_problem(client.get(f"{V1}/skus"), 500, "internal_error")
    assert "hunter2" not in str(body) and "RuntimeError" not in str(body)


def test_openapi_documents_every_resource_and_the_event_schema(anonymous: TestClient) -> None:
    schema = anonymous.get("/openapi.json").json()
    for path in (
        "/api/v1/skus/{code}",
        "/api/v1/locations/{code}",
        "/api/v1/channels/{code}",
        "/api/v1/listings/{channel}/{sku}",
        "/api/v1/events",
        "/api/v1/events/bulk",
        "/api/v1/reservations",
        "/api/v1/reservations/{reservation_id}/commit",
        "/api/v1/balances",
        "/api/v1/balances/{sku}/{location}/explain",
        "/api/v1/listings/{channel}/{sku}/available-to-sell",
        "/api/v1/channels/{channel}/available-to-sell",
        "/api/v1/quarantine/{item_id}/retry",
        "/api/v1/verify",
        "/healthz",
    ):
        assert path in schema["paths"], path
    components = schema["components"]
    assert {"EventIn", "EventLineIn", "Problem"} <= set(components["schemas"])
    assert components["securitySchemes"]["APIKeyHeader"]["name"] == "X-API-Key"
    assert (
        "application/problem+json"
        in schema["paths"]["/api/v1/reservations"]["post"]["responses"]["409"]["content"]
    )


def test_field_paths_read_like_the_domain_ones() -> None:
    assert field_path(("body", "lines", 0, "quantity")) == "lines[0].quantity"
    assert field_path(("query", "limit")) == "limit"
    assert field_path(("body",)) == "$"


def test_a_failing_sweep_is_retried_on_the_next_tick() -> None:
    outcomes: list[int | Exception] = [RuntimeError("database gone"), 500, 3]
    seen: list[int] = []

    def sweep(_ctx: HubContext) -> int:
        outcome = outcomes.pop(0) if outcomes else 0
        if isinstance(outcome, Exception):
            raise outcome
        seen.append(outcome)
        return outcome

    async def scenario() -> None:
        sweeper = ExpirySweeper(HubContext(sa.create_engine("sqlite://")), sweep, interval_s=0.001)
        async with sweeper.running():
            for _ in range(200):
                if len(seen) >= 2:
                    break
                await asyncio.sleep(0.005)

    asyncio.run(scenario())
    assert seen[:2] == [500, 3]  # a full page is followed at once by the next page
