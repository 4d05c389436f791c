"""A day in the life through the API: catalog, receipt, reserve, commit, fulfil — numbers exact."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.helpers import V1, atp, balance, define_catalog, ok, receive


def test_receive_reserve_commit_fulfil_moves_every_number_exactly(client: TestClient) -> None:
    define_catalog(client)
    receive(client, "TEE", "WH1", 2, unit="case", idempotency_key="po-1")
    receive(client, "TEE", "WH2", 5)
    assert balance(client, "TEE", "WH1")["on_hand"] == 24
    assert atp(client, "shop", "TEE") == 24 + 5 - 2

    held = ok(
        client.post(
            f"{V1}/reservations",
            json={"idempotency_key": "cart-1", "lines": [{"sku": "TEE", "location": "WH1", "quantity": 3}]},
        ),
        201,
    )
    assert held["status"] == "held" and held["lines"] == [{"sku": "TEE", "location": "WH1", "quantity": 3}]
    wh1 = balance(client, "TEE", "WH1")
    assert (wh1["on_hand"], wh1["reserved"], wh1["available"]) == (24, 3, 21)
    assert atp(client, "shop", "TEE") == 21 + 5 - 2

    committed = ok(client.post(f"{V1}/reservations/{held['id']}/commit"))
    assert committed["status"] == "committed"
    wh1 = balance(client, "TEE", "WH1")
    assert (wh1["on_hand"], wh1["reserved"], wh1["committed"], wh1["available"]) == (24, 0, 3, 21)

    ok(
        client.post(f"{V1}/events", json={"type": "fulfil", "sku": "TEE", "location": "WH1", "quantity": 3}),
        201,
    )
    assert balance(client, "TEE", "WH1") == {
        "sku": "TEE", "location": "WH1", "on_hand": 21, "committed": 0, "reserved": 0, "incoming": 0,
        "in_transit": 0, "damaged": 0, "quality_control": 0, "safety_stock": 0, "available": 21,
    }  # fmt: skip
    assert atp(client, "shop", "TEE") == 21 + 5 - 2
    assert ok(client.get(f"{V1}/verify")) == {"consistent": True, "mismatches": []}


def test_explain_shows_formula_ledger_and_atp_steps(client: TestClient) -> None:
    define_catalog(client)
    receive(client, "TEE", "WH1", 10)
    receive(client, "TEE", "WH2", 4)
    ok(
        client.post(f"{V1}/events", json={"type": "sale", "sku": "TEE", "location": "WH1", "quantity": 1}),
        201,
    )

    explained = ok(client.get(f"{V1}/balances/TEE/WH1/explain"))
    assert explained["formula"] == (
        "available = on_hand 10 - committed 1 - reserved 0 - damaged 0 - quality_control 0"
        " - safety_stock 0 = 9"
    )
    assert explained["consistent_with_ledger"] is True
    assert explained["ledger_totals"] == explained["balance"]
    assert [e["type"] for e in explained["recent_events"]] == ["sale", "receipt"]

    listing = ok(client.get(f"{V1}/listings/shop/TEE/explain"))
    assert listing["quantity"] == 11
    assert [(s["rule"], s["before"], s["after"]) for s in listing["steps"]] == [
        ("supply", 0, 13),
        ("buffer", 13, 11),
    ]
    assert listing["steps"][0]["detail"] == "WH1:9 + WH2:4"
    assert [e["type"] for e in listing["recent_events"]["TEE@WH2"]] == ["receipt"]


def test_available_to_sell_per_channel_follows_rules_and_online_locations(client: TestClient) -> None:
    define_catalog(client)
    receive(client, "TEE", "WH1", 10)
    receive(client, "TEE", "WH2", 4)
    receive(client, "MUG", "WH1", 9)
    by_sku = {row["sku"]: row for row in ok(client.get(f"{V1}/channels/shop/available-to-sell"))}
    assert by_sku["TEE"]["available_to_sell"] == 12  # 14 - buffer 2
    assert by_sku["MUG"]["available_to_sell"] == 5  # capped by the listing's max_quantity
    assert by_sku["MUG"]["rules"] == {"buffer": 0, "max_quantity": 5, "share_percent": 100, "stop_below": 0}

    assert ok(client.patch(f"{V1}/locations/WH2", json={"online": False}))["online"] is False
    assert atp(client, "shop", "TEE") == 8  # WH2's 4 no longer count
    listing = ok(client.get(f"{V1}/listings/shop/TEE"))
    assert listing["locations"] == ["WH1", "WH2"] and listing["available_to_sell"] == 8
    assert [r["sku"] for r in ok(client.get(f"{V1}/available-to-sell", params={"sku": "MUG"}))] == ["MUG"]
