"""The one error tree of stockbridge.

    StockbridgeError                 base; every error carries a machine `code` and named fields
    ├── ValidationError              bad input: the `field` names what to fix (quarantined on ingest)
    │   ├── UnknownReferenceError    a SKU, alias, location, channel or listing that does not exist
    │   └── UnitConversionError      a quantity that is not a whole number of base units
    ├── ConflictError                the request contradicts what is recorded
    │   ├── IdempotencyConflictError same idempotency key, different payload
    │   ├── AliasConflictError       an alias already points at another SKU
    │   └── InvalidStateError        e.g. committing a released reservation
    ├── InsufficientStockError       a guarded change would oversell; lists every short line
    └── NotFoundError                `get_` of something missing (API: 404)

Errors never carry secrets. Callers decide by type, never by message text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


class StockbridgeError(Exception):
    code = "error"
    http_status = 500

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.fields: dict[str, Any] = fields

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.fields}


class ValidationError(StockbridgeError):
    code = "validation_error"
    http_status = 422

    def __init__(self, message: str, *, field: str, **fields: Any) -> None:
        super().__init__(message, field=field, **fields)
        self.field = field


class UnknownReferenceError(ValidationError):
    code = "unknown_reference"


class UnitConversionError(ValidationError):
    code = "unit_conversion_error"


class ConflictError(StockbridgeError):
    code = "conflict"
    http_status = 409


class IdempotencyConflictError(ConflictError):
    code = "idempotency_conflict"


class AliasConflictError(ConflictError):
    code = "alias_conflict"


class InvalidStateError(ConflictError):
    code = "invalid_state"


class NotFoundError(StockbridgeError):
    code = "not_found"
    http_status = 404


@dataclass(frozen=True)
class Shortfall:
    """One line that could not be satisfied: how much was asked and what the guard saw."""

    sku: str
    location: str
    state: str
    requested: int
    available: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "location": self.location,
            "state": self.state,
            "requested": self.requested,
            "available": self.available,
        }


class InsufficientStockError(StockbridgeError):
    code = "insufficient_stock"
    http_status = 409

    def __init__(self, shortfalls: Sequence[Shortfall], **fields: Any) -> None:
        lines = ", ".join(
            f"{s.sku}@{s.location}: {s.state} {s.available} < {s.requested}" for s in shortfalls
        )
        super().__init__(
            f"insufficient stock: {lines}", shortfalls=[s.as_dict() for s in shortfalls], **fields
        )
        self.shortfalls = list(shortfalls)
