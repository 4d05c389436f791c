"""Relay-style cursor pagination and Shopify's search-syntax filter for list fields.

`paginate` turns an ordered list into a connection value (`edges`, `nodes`, `pageInfo`) from
`first`/`after` or `last`/`before`, with opaque base64 cursors and Shopify's page cap of 250.
A cursor holds what Shopify's do: the sort key's value at its record and the record's id. A page
after it starts at the first record sorting past that (value, id), wherever the record itself
went since, so a record updated (hence re-sorted) during a listing never makes the listing skip
the records behind it; it may be listed again further on.
`matches` applies the subset of search syntax the emulator understands: space-separated terms
(AND), `field:value`, `field:>value`, `>=`, `<`, `<=`, quoted values, `-field:value` negation.
Unknown fields match nothing, as a filter on an unknown field narrows nothing useful.
"""

from __future__ import annotations

import base64
import json
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from graphql import GraphQLError

MAX_PAGE_SIZE = 250
T = TypeVar("T")
FieldGetter = Callable[[T, str], Any]


INVALID_CURSOR = "Invalid cursor for current pagination sort."


@dataclass(frozen=True)
class Cursor:
    record_id: int
    value: str  # the sort key's value at the record when it was listed (`cursor_value`)


def cursor_value(value: Any) -> str:
    """A sort value as a cursor spells it; times in UTC at fixed width, so they order as text."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return "" if value is None else str(value)


def encode_cursor(record_id: int, value: Any = None) -> str:
    """Shopify's cursor shape: base64 of `{"last_id":N,"last_value":V}`, V the sort key's value
    at the record (its id when the list is in id order)."""
    last = cursor_value(record_id if value is None else value)
    body = json.dumps({"last_id": record_id, "last_value": last}, separators=(",", ":"))
    return base64.b64encode(body.encode()).decode()


def decode_cursor(cursor: str) -> Cursor:
    try:
        value = json.loads(base64.b64decode(cursor.encode(), validate=True))
        return Cursor(int(value["last_id"]), str(value["last_value"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise GraphQLError(INVALID_CURSOR) from exc


def paginate(
    items: Sequence[T],
    id_of: Callable[[T], int],
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    *,
    value_of: Callable[[T], Any] | None = None,
    descending: bool = False,
) -> dict[str, Any]:
    """One page of `items` as a connection value. `items` are in (sort value, id) order, the sort
    value given by `value_of` (default: the id), descending when the listing is reversed."""
    if first is None and last is None:
        raise GraphQLError("you must provide one of first or last")
    for size in (first, last):
        if size is not None and (size < 0 or size > MAX_PAGE_SIZE):
            raise GraphQLError(
                f"The maximum number of items that can be requested per page is {MAX_PAGE_SIZE}."
            )
    value = value_of or id_of
    keys = [_key(value(item), id_of(item)) for item in items]
    start, end = 0, len(items)
    if after is not None:
        start = _first_past(keys, decode_cursor(after), descending, inclusive=False)
    if before is not None:
        end = _first_past(keys, decode_cursor(before), descending, inclusive=True)
    window = list(items[start:end])
    has_next = has_previous = False
    if first is not None:
        has_next = len(window) > first or end < len(items)
        window = window[:first]
        has_previous = start > 0
    else:
        assert last is not None
        has_previous = len(window) > last or start > 0
        window = window[max(0, len(window) - last) :]
        has_next = end < len(items)
    edges = [{"cursor": encode_cursor(id_of(item), value(item)), "node": item} for item in window]
    return {
        "edges": edges,
        "nodes": window,
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": has_previous,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


SortKey = tuple[Any, int]


def _key(value: Any, record_id: int) -> SortKey:
    """Where a record sorts: integers by number, anything else as its cursor spells it."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (value, record_id)
    return (cursor_value(value), record_id)


def _first_past(keys: list[SortKey], cursor: Cursor, descending: bool, *, inclusive: bool) -> int:
    """The index of the first record sorting past the cursor's place (or at it, `inclusive`)."""
    if not keys:
        return 0
    try:
        place = (
            (int(cursor.value), cursor.record_id)
            if isinstance(keys[0][0], int)
            else (cursor.value, cursor.record_id)
        )
    except ValueError as exc:  # a cursor of another sort key
        raise GraphQLError(INVALID_CURSOR) from exc

    def past(key: SortKey) -> bool:
        if key == place:
            return inclusive
        return key < place if descending else key > place

    return next((i for i, key in enumerate(keys) if past(key)), len(keys))


@dataclass(frozen=True)
class Term:
    field: str
    op: str
    value: str
    negated: bool


def parse_query(query: str | None) -> list[Term]:
    if not query:
        return []
    terms = []
    for token in shlex.split(query, posix=True):
        if token.upper() in ("AND", "OR"):
            continue
        negated = token.startswith("-")
        token = token.lstrip("-")
        if ":" not in token:
            terms.append(Term("default", ":", token, negated))
            continue
        field, rest = token.split(":", 1)
        op = next((o for o in (">=", "<=", ">", "<") if rest.startswith(o)), ":")
        value = rest[len(op) :] if op != ":" else rest
        terms.append(Term(field.lower(), op, value.strip("'\""), negated))
    return terms


IGNORED = object()  # a getter's answer for a filter field the list accepts but does not apply


def matches(record: T, terms: list[Term], get: FieldGetter[T]) -> bool:
    found = [(get(record, t.field), t) for t in terms]
    return all(_match(value, t) != t.negated for value, t in found if value is not IGNORED)


def _match(actual: Any, term: Term) -> bool:
    if actual is None:
        return False
    if isinstance(actual, datetime):
        try:
            wanted: Any = datetime.fromisoformat(term.value.replace("Z", "+00:00"))
        except ValueError:
            return False
        if wanted.tzinfo is None:
            wanted = wanted.replace(tzinfo=actual.tzinfo)
    elif isinstance(actual, bool):
        wanted = term.value.lower() == "true"
    elif isinstance(actual, int):
        try:
            wanted = int(term.value)
        except ValueError:
            return False
    else:
        actual, wanted = str(actual).lower(), term.value.lower()
        if term.op == ":" and wanted.endswith("*"):
            return bool(actual.startswith(wanted[:-1]))
    if term.op == ":":
        return bool(actual == wanted)
    comparisons = {">": actual > wanted, ">=": actual >= wanted, "<": actual < wanted, "<=": actual <= wanted}
    return bool(comparisons[term.op])
