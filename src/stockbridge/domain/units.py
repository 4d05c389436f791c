"""Units of measure: every SKU counts in a base unit; other units convert by integer factors.

"1 case = 12 units, 1 pallet = 40 cases" is data: a `UnitTable` maps each unit name of a SKU to how
many base units it holds. Quantities arrive as ints, decimal strings or floats and leave as whole
base units; anything that is not a whole number of base units is rejected, naming the field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from stockbridge.errors import UnitConversionError, ValidationError

MAX_QUANTITY = 10**12  # base units; far above any real stock, far below a 64-bit counter


def parse_decimal(value: Any, *, field: str) -> Decimal:
    """A quantity as an exact decimal; rejects booleans, NaN, infinities and non-numbers."""
    if isinstance(value, bool) or value is None:
        raise ValidationError(f"{field} must be a number, got {value!r}", field=field)
    if isinstance(value, float) and not math.isfinite(value):
        raise ValidationError(f"{field} must be finite, got {value!r}", field=field)
    try:
        number = Decimal(str(value).strip()) if not isinstance(value, int) else Decimal(value)
    except InvalidOperation:
        raise ValidationError(f"{field} must be a number, got {value!r}", field=field) from None
    if not number.is_finite():
        raise ValidationError(f"{field} must be finite, got {value!r}", field=field)
    return number


@dataclass(frozen=True)
class UnitTable:
    """Base units per unit name for one SKU. The base unit itself always has factor 1."""

    base_unit: str
    factors: Mapping[str, int]

    def factor(self, unit: str, *, field: str) -> int:
        if unit == self.base_unit:
            return 1
        try:
            return self.factors[unit]
        except KeyError:
            known = ", ".join(sorted({self.base_unit, *self.factors}))
            raise UnitConversionError(
                f"unknown unit {unit!r} (known: {known})", field=field, unit=unit
            ) from None

    def to_base(self, quantity: Any, unit: str | None, *, field: str) -> int:
        number = parse_decimal(quantity, field=field) * self.factor(unit or self.base_unit, field=field)
        if abs(number) > MAX_QUANTITY:
            raise ValidationError(
                f"{field} {quantity} is beyond the largest quantity {MAX_QUANTITY}", field=field
            )
        if number != number.to_integral_value():
            raise UnitConversionError(
                f"{quantity} {unit or self.base_unit} is {number} {self.base_unit}, not a whole number",
                field=field,
            )
        return int(number)


def compose_factor(factor: int, of_unit: str | None, table: UnitTable, *, field: str) -> int:
    """Base units in a new unit defined as `factor` of another unit (e.g. pallet = 40 case)."""
    if isinstance(factor, bool) or not isinstance(factor, int) or factor < 1:
        raise ValidationError(f"{field} must be a whole number >= 1, got {factor!r}", field=field)
    return factor * (table.factor(of_unit, field=field) if of_unit else 1)
