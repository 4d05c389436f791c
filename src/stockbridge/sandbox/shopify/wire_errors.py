"""Shopify's shapes for top-level GraphQL errors, built from graphql-core's errors.

Validation errors get Shopify's camelCase codes (`undefinedField`, `argumentNotAccepted`, ...);
variable-coercion errors are grouped per variable into one `INVALID_VARIABLE` error with
`extensions.value` and `extensions.problems[{path, explanation}]`, as recorded from Shopify.
Resolver errors keep their message, path and `extensions.code`.
"""

from __future__ import annotations

import re
from typing import Any

from graphql import GraphQLError

_VAR_ERROR = re.compile(r"^Variable '\$(\w+)' has invalid value(?: at ([^:]+))?: (.*)$", re.S)
_VALIDATION_CODES = (
    ("Cannot query field", "undefinedField"),
    ("Unknown argument", "argumentNotAccepted"),
    ("is required, but it was not provided", "missingRequiredArguments"),
    ("Unknown type", "undefinedType"),
    ("Unknown directive", "undefinedDirective"),
    ("Variable", "variableMismatch"),
)


def validation_error(error: GraphQLError) -> dict[str, Any]:
    code = next(
        (c for needle, c in _VALIDATION_CODES if needle in error.message), "GRAPHQL_VALIDATION_FAILED"
    )
    out: dict[str, Any] = dict(error.formatted)
    out["extensions"] = {**(error.extensions or {}), "code": code}
    return out


def is_variable_error(error: GraphQLError) -> bool:
    return _VAR_ERROR.match(error.message) is not None


def execution_errors(
    errors: list[GraphQLError], var_types: dict[str, str], variables: dict[str, Any]
) -> list[dict[str, Any]]:
    """Shopify-shaped errors: coercion problems grouped per variable, others as they are."""
    out: list[dict[str, Any]] = []
    grouped: dict[str, dict[str, Any]] = {}
    for error in errors:
        match = _VAR_ERROR.match(error.message)
        if match is None:
            formatted: dict[str, Any] = dict(error.formatted)
            if not (error.extensions or {}).get("code"):
                formatted.pop("extensions", None)
            out.append(formatted)
            continue
        name, at, detail = match.groups()
        if name not in grouped:
            grouped[name] = {
                "locations": [loc.formatted for loc in error.locations or []],
                "extensions": {"code": "INVALID_VARIABLE", "value": variables.get(name), "problems": []},
            }
            out.append(grouped[name])
        grouped[name]["extensions"]["problems"].append(_problem(at, detail))
    for name, entry in grouped.items():
        parts = [f"{'.'.join(p['path'])} ({p['explanation']})" for p in entry["extensions"]["problems"]]
        message = f"Variable ${name} of type {var_types.get(name, '')} was provided invalid value for "
        entry["message"] = message + ", ".join(parts)
    return out


def _problem(at: str | None, detail: str) -> dict[str, Any]:
    path = [p for p in re.split(r"[.\[\]]+", at or "") if p]
    unknown = re.search(r"Expected value of type '(\w+)' not to include unknown field '(\w+)'", detail)
    missing = re.search(r"to include required field '(\w+)'", detail)
    if unknown:
        return {
            "path": [*path, unknown.group(2)],
            "explanation": f"Field is not defined on {unknown.group(1)}",
        }
    if missing:
        return {"path": [*path, missing.group(1)], "explanation": "Expected value to not be null"}
    return {"path": path, "explanation": detail.rstrip(".")}
