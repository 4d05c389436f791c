"""Available-to-sell: supply from online locations, then buffer, share, cap and threshold."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from stockbridge.domain.atp import ComponentSupply, ListingRules, LocationSupply, available_to_sell


def test_each_rule_is_a_step_that_explains_the_number() -> None:
    result = available_to_sell(
        ListingRules(buffer=3, max_quantity=10, share_percent=50, stop_below=2),
        [LocationSupply("WH1", True, 20), LocationSupply("WH2", True, -4), LocationSupply("SHOP", False, 9)],
    )
    assert [(s.rule, s.before, s.after) for s in result.steps] == [
        ("supply", 0, 20),
        ("buffer", 20, 17),
        ("share", 17, 8),
        ("cap", 8, 8),
        ("stop_below", 8, 8),
    ]
    assert "offline, not counted: SHOP" in result.steps[0].detail
    assert result.quantity == 8


def test_stop_selling_below_threshold_shows_zero() -> None:
    assert available_to_sell(ListingRules(stop_below=5), [LocationSupply("WH1", True, 4)]).quantity == 0


def test_bundle_supply_is_what_each_location_can_build() -> None:
    wh1 = LocationSupply.for_bundle("WH1", True, [ComponentSupply("MUG", 2, 9), ComponentSupply("TEE", 1, 3)])
    wh2 = LocationSupply.for_bundle(
        "WH2", True, [ComponentSupply("MUG", 2, 1), ComponentSupply("TEE", 1, 30)]
    )
    assert (wh1.available, wh2.available) == (3, 0)
    assert available_to_sell(ListingRules(), [wh1, wh2]).quantity == 3


rules = st.builds(
    ListingRules,
    buffer=st.integers(0, 50),
    max_quantity=st.none() | st.integers(0, 500),
    share_percent=st.integers(0, 100),
    stop_below=st.integers(0, 20),
)
supplies = st.lists(
    st.builds(LocationSupply, st.text(min_size=1, max_size=3), st.booleans(), st.integers(-20, 300))
)


@given(rules, supplies)
def test_atp_never_exceeds_sellable_supply_and_is_never_negative(
    r: ListingRules, s: list[LocationSupply]
) -> None:
    result = available_to_sell(r, s)
    sellable = sum(max(x.available, 0) for x in s if x.online)
    assert 0 <= result.quantity <= sellable
    if r.max_quantity is not None:
        assert result.quantity <= r.max_quantity
    assert result.steps[-1].after == result.quantity
