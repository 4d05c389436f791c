"""The plans are pure functions of the scenario and the seed: same seed, same orders, warehouse
jobs and faults; another seed, another schedule. Plus the audit's arithmetic on hand-made truths."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from stockbridge.simulate.audit import ChannelTruth, audit, duplicate_deliveries
from stockbridge.simulate.faults import final_resets, plan_faults
from stockbridge.simulate.metrics import max_ms, quantile_ms
from stockbridge.simulate.population import OrderLog, PlannedOrder, plan_orders
from stockbridge.simulate.scenarios import SCENARIOS, get_scenario, sku_codes
from stockbridge.simulate.warehouse import Physical, plan_warehouse


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_the_same_seed_gives_the_same_orders_jobs_and_faults(name: str) -> None:
    scenario = get_scenario(name)
    assert plan_orders(scenario, 7) == plan_orders(scenario, 7)
    assert plan_warehouse(scenario, 7) == plan_warehouse(scenario, 7)
    assert plan_faults(scenario, 7) == plan_faults(scenario, 7)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_another_seed_gives_another_order_schedule(name: str) -> None:
    scenario = get_scenario(name)
    assert plan_orders(scenario, 1) != plan_orders(scenario, 2)


def test_orders_follow_the_rate_and_stay_inside_the_trading_time() -> None:
    scenario = get_scenario("steady-day").with_overrides(50.0, 20.0)
    orders = plan_orders(scenario, 3)
    assert 800 <= len(orders) <= 1200  # Poisson around 1,000
    assert all(0 <= o.at_s < 50.0 for o in orders)
    assert {o.platform for o in orders} == {"shopify", "woocommerce"}
    assert {o.sku for o in orders} <= set(sku_codes(scenario))


def test_a_flash_sale_sends_most_buyers_to_the_hot_sku() -> None:
    scenario = get_scenario("flash-sale")
    orders = plan_orders(scenario, 1)
    hot = sum(o.sku == sku_codes(scenario)[0] for o in orders)
    assert hot / len(orders) > 0.9


def test_kills_fall_inside_their_window_and_chaos_is_switched_off_at_the_end() -> None:
    crash = get_scenario("crash-restart")
    kills = [a for a in plan_faults(crash, 5) if a.kind.startswith("kill_")]
    assert len(kills) == 5
    assert all(0.1 * crash.duration_s <= a.at_s <= 0.9 * crash.duration_s for a in kills)
    chaos = plan_faults(get_scenario("webhook-chaos"), 5)
    resets = final_resets(chaos)
    assert {(r.target, r.switch_on) for r in resets} == {("shopify", False), ("woocommerce", False)}
    assert all(r.settings["webhook_drop_rate"] == 0.0 for r in resets)


def test_an_outage_is_switched_on_and_off_inside_the_run() -> None:
    scenario = get_scenario("channel-outage")
    on, off = plan_faults(scenario, 1)
    assert (on.kind, on.switch_on, on.settings["down"]) == ("channel_down", True, True)
    assert (off.switch_on, off.settings) == (False, {"down": False})
    assert on.at_s < off.at_s < scenario.duration_s


def test_quantiles_interpolate_inside_buckets() -> None:
    buckets = Counter({0.1: 50, 0.5: 90, 1.0: 100, math.inf: 100})
    assert quantile_ms(buckets, 0.5) == 100.0
    assert quantile_ms(buckets, 0.7) == 300.0
    assert max_ms(buckets) == 1000.0
    assert quantile_ms(Counter(), 0.5) is None


def _truth(channel: str, sold: dict[str, int], shows: dict[str, int]) -> ChannelTruth:
    return ChannelTruth(channel, Counter(sold), shows, 0)


def test_the_audit_finds_oversold_lost_and_drifting_units() -> None:
    book = Physical(received=Counter({"A": 10}), shelf=Counter({("A", "WH1"): 10}))
    channels = [_truth("shop", {"A": 8}, {"A": 1}), _truth("woo", {"A": 4}, {"A": 0})]
    balances = [
        {
            "sku": "A",
            "location": "WH1",
            "on_hand": 10,
            "committed": 11,
            "in_transit": 0,
            "damaged": 0,
            "available": -1,
        }
    ]
    atp = [
        {"channel": "shop", "sku": "A", "available_to_sell": 0},
        {"channel": "woo", "sku": "A", "available_to_sell": 0},
    ]
    refused = OrderLog(rejected=[(PlannedOrder(0.0, "shop", "A", 1, 1), "OUT_OF_STOCK")])
    result = audit(["A"], channels, book, balances, atp, True, refused)
    assert (result.units_sold, result.oversold_units, result.events_lost) == (12, 2, 1)
    assert result.final_drift_units == 1 and result.drifts[0]["channel"] == "shop"
    assert result.undersold_units == 0, "nothing was left to sell"
    assert result.balance_mismatch_units == 1, "committed 11 where 12 were sold"


def test_a_correct_hub_passes_the_audit() -> None:
    book = Physical(received=Counter({"A": 10}), shipped=Counter({"A": 2}))
    channels = [_truth("shop", {"A": 3}, {"A": 2}), _truth("woo", {"A": 1}, {"A": 3})]
    balances = [
        {
            "sku": "A",
            "location": "WH1",
            "on_hand": 8,
            "committed": 2,
            "in_transit": 0,
            "damaged": 0,
            "available": 6,
        }
    ]
    atp = [
        {"channel": "shop", "sku": "A", "available_to_sell": 2},
        {"channel": "woo", "sku": "A", "available_to_sell": 3},
    ]
    result = audit(["A"], channels, book, balances, atp, True, OrderLog())
    assert (result.oversold_units, result.events_lost, result.applied_twice_units) == (0, 0, 0)
    assert (result.final_drift_units, result.balance_mismatch_units) == (0, 0)


def test_only_extra_acknowledged_copies_count_as_duplicates() -> None:
    log = [
        {"event_id": "e1", "status": 200},
        {"event_id": "e1", "status": 200},
        {"event_id": "e2", "status": 200},
        {"event_id": "e3", "status": None},
        {"event_id": "e3", "status": 503},
    ]
    assert duplicate_deliveries(log) == 1
