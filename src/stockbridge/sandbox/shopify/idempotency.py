"""The `@idempotent(key:)` directive: required on inventory mutations from 2026-04.

Owns reading the key from the field's directive (top-level `BAD_REQUEST` when it is missing or
blank) and the replay cache: the same key with the same operation and arguments returns the first
result without applying anything again; the same key with different arguments is refused with
`IDEMPOTENCY_KEY_PARAMETER_MISMATCH`. Keys are kept for the emulator's lifetime.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo, get_directive_values

MISSING_DIRECTIVE = "The @idempotent directive is required for this mutation but was not provided."
BLANK_KEY = "The @idempotent directive key must not be blank."
MISMATCH = "The same idempotency key cannot be used with different operation parameters."


@dataclass(frozen=True)
class CachedResult:
    fingerprint: str
    result: Any


class IdempotencyCache:
    """Results by idempotency key."""

    def __init__(self) -> None:
        self._results: dict[str, CachedResult] = {}

    def find(self, key: str) -> CachedResult | None:
        return self._results.get(key)

    def remember(self, key: str, fingerprint: str, result: Any) -> None:
        self._results[key] = CachedResult(fingerprint, result)

    def __len__(self) -> int:
        return len(self._results)


def require_key(info: GraphQLResolveInfo[Any]) -> str:
    """The idempotency key on this field, or a top-level BAD_REQUEST error."""
    directive = info.schema.get_directive("idempotent")
    values = None
    if directive is not None:
        values = get_directive_values(directive, info.field_nodes[0], info.variable_values)
    if not values:
        raise GraphQLError(MISSING_DIRECTIVE, extensions={"code": "BAD_REQUEST"})
    key = values.get("key")
    if not isinstance(key, str) or not key.strip():
        raise GraphQLError(BLANK_KEY, extensions={"code": "BAD_REQUEST"})
    return key


def fingerprint(field_name: str, args: dict[str, Any]) -> str:
    return json.dumps([field_name, args], sort_keys=True, default=str)
