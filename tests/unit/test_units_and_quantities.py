"""Units convert by integer factors to whole base units; quantities guard their counters."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stockbridge.domain.quantities import Delta, Quantities, State, guard_failures
from stockbridge.domain.units import UnitTable, compose_factor
from stockbridge.errors import UnitConversionError, ValidationError

TABLE = UnitTable("unit", {"case": 12, "pallet": 480})


@pytest.mark.parametrize(
    ("quantity", "unit", "base"),
    [
        (2, "case", 24),
        ("0.5", "case", 6),
        (1, "pallet", 480),
        (7, None, 7),
        ("3", "unit", 3),
        (1.25, "case", 15),
    ],
)
def test_known_units_convert_to_whole_base_units(quantity: object, unit: str | None, base: int) -> None:
    assert TABLE.to_base(quantity, unit, field="q") == base


@pytest.mark.parametrize(("quantity", "unit"), [("0.1", "case"), (0.5, None), ("1.0001", "pallet")])
def test_fractions_of_a_base_unit_are_refused(quantity: object, unit: str | None) -> None:
    with pytest.raises(UnitConversionError) as caught:
        TABLE.to_base(quantity, unit, field="lines[0].quantity")
    assert caught.value.field == "lines[0].quantity"


@pytest.mark.parametrize("quantity", [True, None, "abc", float("nan"), float("inf"), "1e999999"])
def test_non_numbers_are_refused_with_the_field(quantity: object) -> None:
    with pytest.raises(ValidationError) as caught:
        TABLE.to_base(quantity, None, field="lines[3].quantity")
    assert caught.value.field == "lines[3].quantity"


def test_unknown_unit_lists_the_known_ones() -> None:
    with pytest.raises(UnitConversionError, match="case, pallet, unit"):
        TABLE.to_base(1, "crate", field="unit")


def test_a_unit_can_be_defined_in_terms_of_another() -> None:
    assert compose_factor(40, "case", TABLE, field="f") == 480
    with pytest.raises(ValidationError):
        compose_factor(0, None, TABLE, field="f")


@given(st.integers(0, 10**6), st.sampled_from(["unit", "case", "pallet"]))
def test_whole_units_round_trip(n: int, unit: str) -> None:
    assert TABLE.to_base(n, unit, field="q") == n * TABLE.factor(unit, field="u")


def test_available_follows_shopify_vocabulary() -> None:
    q = Quantities(
        on_hand=20,
        committed=3,
        reserved=2,
        incoming=50,
        in_transit=4,
        damaged=1,
        quality_control=1,
        safety_stock=2,
    )
    assert q.available == 20 - 3 - 2 - 1 - 1 - 2


def test_guard_refuses_a_hold_beyond_available_and_a_negative_counter() -> None:
    q = Quantities(on_hand=5, committed=4)
    assert guard_failures(q, Delta.of(reserved=1), guard_available=True) == []
    (failure,) = guard_failures(q, Delta.of(reserved=2), guard_available=True)
    assert (failure.state, failure.have, failure.need) == ("available", 1, 2)
    (failure,) = guard_failures(q, Delta.of(committed=-5, on_hand=-5), guard_available=False)
    assert failure.state == "committed"


@given(st.lists(st.tuples(st.sampled_from(list(State)), st.integers(-50, 50)), max_size=12))
def test_delta_sums_like_a_dict(pairs: list[tuple[State, int]]) -> None:
    delta = Delta.from_pairs(pairs)
    for state in State:
        assert delta.get(state) == sum(v for s, v in pairs if s is state)
    halves = Delta.from_pairs(pairs[: len(pairs) // 2]) + Delta.from_pairs(pairs[len(pairs) // 2 :])
    assert halves == delta
    assert Quantities().plus(delta).get(State.ON_HAND) == delta.get(State.ON_HAND)
