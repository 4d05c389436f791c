"""The time cursor as a value: advancing, tie dedupe, look-back, persistence form."""

from __future__ import annotations

from datetime import timedelta

from stockbridge.connectors.base import OrderCursor
from stockbridge.sync.cursors import TimeCursor
from tests.inbound.helpers import at


def test_advancing_keeps_the_ids_at_the_newest_instant() -> None:
    cursor = TimeCursor().advance([("a", at(1)), ("b", at(3)), ("c", at(2)), ("d", at(3))])
    assert cursor == TimeCursor(at(3), frozenset({"b", "d"}))
    assert cursor.advance([("e", at(3))]).seen == {"b", "d", "e"}
    assert cursor.advance([("f", at(2))]) == cursor  # older records do not move it back
    assert cursor.advance([("g", at(4))]) == TimeCursor(at(4), frozenset({"g"}))


def test_only_a_record_seen_at_the_same_instant_is_skipped() -> None:
    cursor = TimeCursor(at(3), frozenset({"b"}))
    assert not cursor.is_new("b", at(3))
    assert cursor.is_new("b", at(4))  # updated again since
    assert cursor.is_new("x", at(3))  # a tie we have not seen
    assert cursor.is_new("b", at(2))  # inside the look-back: re-read, harmless


def test_the_request_starts_a_look_back_before_the_cursor() -> None:
    cursor = TimeCursor(at(10), frozenset({"b"}))
    assert cursor.request(timedelta(minutes=5)) == OrderCursor(at(5), frozenset())
    assert cursor.request(timedelta(0)) == OrderCursor(at(10), frozenset({"b"}))
    assert TimeCursor().request(timedelta(minutes=5)) == OrderCursor()


def test_the_look_back_is_a_sweep_due_every_so_often_not_on_every_poll() -> None:
    every = timedelta(minutes=5)
    assert TimeCursor().sweep_due(at(0), every)  # a first poll reads everything
    assert TimeCursor(at(10)).sweep_due(at(0), every)  # never swept (a checkpoint of old)
    swept = TimeCursor(at(10), frozenset({"b"})).swept(at(20))
    assert not swept.sweep_due(at(24, 59), every)
    assert swept.sweep_due(at(25), every)
    assert swept.advance([("c", at(11))]).swept_at == at(20)  # advancing keeps when it swept


def test_the_cursor_survives_its_json_form() -> None:
    cursor = TimeCursor(at(10, 30), frozenset({"b", "a"}))
    assert cursor.to_json() == {
        "last_value": "2026-01-01T10:10:30+00:00",
        "seen": ["a", "b"],
        "swept_at": None,
    }
    assert TimeCursor.from_json(cursor.to_json()) == cursor
    assert TimeCursor.from_json(cursor.swept(at(11)).to_json()) == cursor.swept(at(11))
    assert TimeCursor.from_json({"last_value": "2026-01-01T10:10:30+00:00", "seen": []}) == TimeCursor(
        at(10, 30)
    )
    assert TimeCursor.from_json(None) == TimeCursor()
