"""Catalog over HTTP: SKUs with units, aliases and bundles; locations; channels; listings."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.helpers import V1, assert_problem, atp, define_catalog, ok, receive


def test_sku_round_trips_units_aliases_and_is_idempotent(client: TestClient) -> None:
    spec = {
        "title": "Tee",
        "product": "tee",
        "units": [{"name": "case", "factor": 12}, {"name": "pallet", "factor": 40, "of": "case"}],
        "aliases": {"erp": ["AB-12"], "amazon": ["ab12-blue"]},
    }
    first = ok(client.put(f"{V1}/skus/TEE", json=spec))
    assert ok(client.put(f"{V1}/skus/TEE", json=spec)) == first
    assert first == {
        "code": "TEE", "title": "Tee", "product": "tee", "base_unit": "unit", "is_bundle": False,
        "units": {"case": 12, "pallet": 480}, "aliases": {"amazon": ["ab12-blue"], "erp": ["AB-12"]},
        "components": {},
    }  # fmt: skip
    with_alias = ok(client.post(f"{V1}/skus/TEE/aliases", json={"connection": "erp", "alias": "AB-12b"}))
    assert with_alias["aliases"]["erp"] == ["AB-12", "AB-12b"]
    assert ok(client.get(f"{V1}/skus/TEE")) == with_alias


def test_skus_list_in_code_order_with_paging(client: TestClient) -> None:
    for code in ("C", "A", "B"):
        ok(client.put(f"{V1}/skus/{code}", json={}))
    assert [s["code"] for s in ok(client.get(f"{V1}/skus", params={"limit": 2}))] == ["A", "B"]
    assert [s["code"] for s in ok(client.get(f"{V1}/skus", params={"after": "B"}))] == ["C"]


def test_bundle_availability_is_derived_from_components(client: TestClient) -> None:
    define_catalog(client)
    bundle = ok(client.put(f"{V1}/skus/GIFT", json={"components": {"MUG": 2, "TEE": 1}}))
    assert bundle["is_bundle"] is True and bundle["components"] == {"MUG": 2, "TEE": 1}
    ok(client.put(f"{V1}/listings/shop/GIFT", json={"rules": {"buffer": 0}}))
    receive(client, "MUG", "WH1", 7)
    receive(client, "TEE", "WH1", 10)
    assert atp(client, "shop", "GIFT") == 3  # floor(7 / 2)
    nested = client.put(f"{V1}/skus/BIG", json={"components": {"GIFT": 1}})
    assert assert_problem(nested, 422, "validation_error")["field"] == "components"


def test_locations_and_channels_round_trip(client: TestClient) -> None:
    define_catalog(client)
    assert [loc["code"] for loc in ok(client.get(f"{V1}/locations"))] == ["WH1", "WH2"]
    assert ok(client.get(f"{V1}/locations/WH1"))["external_codes"] == {"erp": "01"}
    channel = ok(client.get(f"{V1}/channels/shop"))
    assert channel["locations"] == ["WH1", "WH2"]
    assert channel["rules"] == {"buffer": 2, "max_quantity": None, "share_percent": 100, "stop_below": 0}
    assert [c["code"] for c in ok(client.get(f"{V1}/channels"))] == ["shop"]
    bad_kind = client.put(f"{V1}/locations/X", json={"kind": "moon"})
    assert assert_problem(bad_kind, 422, "validation_error")["field"] == "kind"
    bad_share = client.put(f"{V1}/channels/shop", json={"rules": {"share_percent": 150}})
    assert assert_problem(bad_share, 422, "validation_error")["field"] == "rules.share_percent"


def test_listing_may_name_its_own_locations_and_rules(client: TestClient) -> None:
    define_catalog(client)
    receive(client, "TEE", "WH1", 10)
    receive(client, "TEE", "WH2", 30)
    listing = ok(
        client.put(
            f"{V1}/listings/shop/TEE",
            json={"locations": ["WH2"], "rules": {"share_percent": 50, "buffer": 0}},
        )
    )
    assert listing["locations"] == ["WH2"] and listing["available_to_sell"] == 15
    assert [
        (r["channel"], r["sku"]) for r in ok(client.get(f"{V1}/listings", params={"channel": "shop"}))
    ] == [
        ("shop", "MUG"),
        ("shop", "TEE"),
    ]
    assert_problem(client.get(f"{V1}/listings/shop/NOPE"), 404, "not_found")
    assert_problem(client.put(f"{V1}/listings/nochannel/TEE", json={}), 404, "not_found")
