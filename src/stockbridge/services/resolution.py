"""From an `EventCommand` (names, any unit) to `ResolvedLine`s (ids, base units, bundles expanded)."""

from __future__ import annotations

from collections.abc import Sequence

from stockbridge.domain.events import NO_BUNDLES, EventCommand, EventType, ResolvedLine, check_sign
from stockbridge.errors import ValidationError
from stockbridge.store.references import ReferenceResolver


def prefetch(resolver: ReferenceResolver, commands: Sequence[EventCommand]) -> None:
    by_connection: dict[str | None, tuple[set[str], set[str]]] = {}
    for command in commands:
        names = by_connection.setdefault(command.connection, (set(), set()))
        for line in command.lines:
            names[0].add(line.sku)
            names[1].update(x for x in (line.location, line.to_location) if x)
    for connection, (sku_names, location_names) in by_connection.items():
        resolver.prefetch(sku_names, location_names, connection)


def resolve_lines(resolver: ReferenceResolver, command: EventCommand) -> list[ResolvedLine]:
    resolved: list[ResolvedLine] = []
    for i, line in enumerate(command.lines):
        where = f"lines[{i}]"
        sku = resolver.sku(line.sku, command.connection, field=f"{where}.sku")
        location = resolver.location(line.location, command.connection, field=f"{where}.location")
        to_location = (
            resolver.location(line.to_location, command.connection, field=f"{where}.to_location").id
            if line.to_location
            else None
        )
        quantity = sku.units.to_base(line.quantity, line.unit, field=f"{where}.quantity")
        check_sign(command.type, quantity, field=f"{where}.quantity")
        parts = [(sku.id, 1)] if not sku.is_bundle else list(sku.components)
        if sku.is_bundle:
            _check_bundle(command.type, sku.components, sku.code, where)
        resolved.extend(
            ResolvedLine(
                part,
                location.id,
                quantity * per,
                to_location,
                line.disposition,
                line.from_state,
                line.to_state,
            )
            for part, per in parts
        )
    return resolved


def _check_bundle(
    event_type: EventType, components: tuple[tuple[int, int], ...], code: str, where: str
) -> None:
    if event_type in NO_BUNDLES:
        raise ValidationError(
            f"{code} is a bundle: it has no stock of its own; record {event_type} events for its components",
            field=f"{where}.sku",
        )
    if not components:
        raise ValidationError(f"bundle {code} has no components defined", field=f"{where}.sku")
