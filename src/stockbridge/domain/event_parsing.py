"""Raw event payloads (JSON from the API, CSV rows, connector mappers) into `EventCommand`s.

Every rejection names the field to fix, in the form `lines[2].quantity`. A payload without an
idempotency key is keyed by its content hash, so the same delivery twice is still one event.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from stockbridge.domain.events import (
    MOVABLE,
    RESERVATION_TYPES,
    RETURN_DISPOSITIONS,
    EventCommand,
    EventLine,
    EventType,
    content_hash,
)
from stockbridge.errors import ValidationError

_LINE_FIELDS = ("sku", "location", "quantity", "unit", "to_location", "disposition", "from_state", "to_state")
# The longest text each field may carry (the columns that keep them are no wider).
MAX_LENGTH = {"idempotency_key": 300, "source": 200, "connection": 100, "reference": 500, "reason": 500}


def parse_event(raw: Any) -> EventCommand:
    if not isinstance(raw, Mapping):
        raise ValidationError("an event must be a JSON object", field="$")
    event_type = _event_type(raw.get("type"))
    lines = _lines(raw, event_type)
    source, connection, reference, reason = (
        _text(raw, k) for k in ("source", "connection", "reference", "reason")
    )
    occurred_at = _timestamp(raw.get("occurred_at"))
    if event_type is EventType.ADJUSTMENT and not reason:
        raise ValidationError("an adjustment needs a reason", field="reason")
    draft = EventCommand(event_type, "", lines, "", source, connection, reference, reason, occurred_at)
    content = draft.canonical()
    del content["idempotency_key"]
    digest = content_hash(content)
    key = _text(raw, "idempotency_key") or f"content:{digest}"
    return EventCommand(event_type, key, lines, digest, source, connection, reference, reason, occurred_at)


def _event_type(value: Any) -> EventType:
    try:
        event_type = EventType(value)
    except ValueError:
        allowed = ", ".join(t.value for t in EventType if t not in RESERVATION_TYPES)
        raise ValidationError(f"type must be one of: {allowed}; got {value!r}", field="type") from None
    if event_type in RESERVATION_TYPES:
        raise ValidationError(f"{event_type} events are recorded by the reservations API", field="type")
    return event_type


def _lines(raw: Mapping[str, Any], event_type: EventType) -> tuple[EventLine, ...]:
    lines = raw.get("lines")
    if lines is None and "sku" in raw:  # a single-line event may be written flat
        lines = [{k: raw[k] for k in _LINE_FIELDS if k in raw}]
    if not isinstance(lines, list) or not lines:
        raise ValidationError("lines must be a non-empty list", field="lines")
    return tuple(_line(item, i, event_type) for i, item in enumerate(lines))


def _line(item: Any, i: int, event_type: EventType) -> EventLine:
    where = f"lines[{i}]"
    if not isinstance(item, Mapping):
        raise ValidationError(f"{where} must be an object", field=where)
    for name in ("sku", "location"):
        if not isinstance(item.get(name), str) or not item[name].strip():
            raise ValidationError(f"{where}.{name} is required", field=f"{where}.{name}")
    if "quantity" not in item:
        raise ValidationError(f"{where}.quantity is required", field=f"{where}.quantity")
    line = EventLine(
        sku=item["sku"].strip(),
        location=item["location"].strip(),
        quantity=item["quantity"],
        **{k: _line_text(item, k, where) for k in _LINE_FIELDS[3:]},
    )
    _check_line_kind(line, event_type, where)
    return line


def _check_line_kind(line: EventLine, event_type: EventType, where: str) -> None:
    if event_type is EventType.TRANSFER_OUT and not line.to_location:
        raise ValidationError("a transfer_out names its to_location", field=f"{where}.to_location")
    if line.to_location and line.to_location == line.location:
        raise ValidationError("to_location must differ from location", field=f"{where}.to_location")
    if line.disposition is not None and line.disposition not in RETURN_DISPOSITIONS:
        allowed = ", ".join(RETURN_DISPOSITIONS)
        raise ValidationError(f"disposition must be one of: {allowed}", field=f"{where}.disposition")
    for name in ("from_state", "to_state"):
        value = getattr(line, name)
        if value is not None and value not in MOVABLE:
            raise ValidationError(f"{name} must be one of: {', '.join(MOVABLE)}", field=f"{where}.{name}")
    if event_type is EventType.MOVE and (line.from_state or "available") == (line.to_state or "available"):
        raise ValidationError("a move needs different from_state and to_state", field=f"{where}.to_state")
    if event_type is EventType.WRITE_OFF and line.from_state in ("available", "safety_stock"):
        raise ValidationError(
            "write_off takes units from damaged or quality_control", field=f"{where}.from_state"
        )


def _line_text(item: Mapping[str, Any], name: str, where: str) -> str | None:
    value = item.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{where}.{name} must be a non-empty string", field=f"{where}.{name}")
    return value.strip()


def _text(raw: Mapping[str, Any], name: str) -> str | None:
    value = raw.get(name)
    if value is None or value == "":
        return None
    limit = MAX_LENGTH[name]
    if not isinstance(value, str) or len(value) > limit:
        raise ValidationError(f"{name} must be a string of at most {limit} characters", field=name)
    return value


def _timestamp(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError(
                f"occurred_at must be ISO 8601, got {value!r}", field="occurred_at"
            ) from None
    if moment.tzinfo is None:
        raise ValidationError("occurred_at needs a timezone (e.g. 2026-01-01T10:00:00Z)", field="occurred_at")
    return moment.astimezone(UTC)
