"""The contract every connector and its emulator must pass, reusable from any test suite.

A platform's tests subclass `ConnectorContract`, implement `harness()` (an async context manager
yielding a `ContractHarness`: a connector wired to a running emulator, plus the few things only
the emulator can do: sell units behind the hub's back, produce a genuinely signed webhook, and
build a connector with wrong credentials), and pytest collects the inherited `test_*` methods.
Each check is also a plain coroutine (`CONTRACT_CHECKS`) for use outside pytest. Each test runs
on its own event loop via `asyncio.run`, so no async pytest plugin is required.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TypeVar

from stockbridge.connectors.base import Connector, LevelChange, RemoteLevel
from stockbridge.connectors.errors import AuthError, ConnectorError

T = TypeVar("T")


class ContractFailure(AssertionError):
    """A connector broke the contract."""


@dataclass
class ContractHarness:
    connector: Connector
    sell: Callable[[str, str | None, int], Awaitable[None]]  # (item_id, location_id, units) behind our back
    signed_webhook: Callable[[], tuple[Mapping[str, str], bytes]]  # a genuine delivery: headers, raw body
    connector_with_bad_credentials: Callable[[], Connector]


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise ContractFailure(message)


async def collect(stream: AsyncIterator[T]) -> list[T]:
    return [item async for item in stream]


async def find_level(connector: Connector, item_id: str, location_id: str | None) -> RemoteLevel | None:
    found = await collect(connector.levels([item_id]))
    return next((lv for lv in found if lv.item_id == item_id and lv.location_id == location_id), None)


async def writable_level(h: ContractHarness) -> RemoteLevel:
    """A level the checks may push to: the first one the connector reports."""
    levels = await collect(h.connector.levels())
    expect(bool(levels), "levels() returned nothing: seed the emulator with stocked items")
    return levels[0]


async def check_connects(h: ContractHarness) -> None:
    await h.connector.check()


async def check_rejects_bad_credentials(h: ContractHarness) -> None:
    bad = h.connector_with_bad_credentials()
    try:
        await bad.check()
    except AuthError:
        return
    finally:
        await bad.aclose()
    raise ContractFailure("check() with wrong credentials did not raise AuthError")


async def check_lists_locations(h: ContractHarness) -> None:
    locations = await collect(h.connector.locations())
    expect(bool(locations), "locations() is empty")
    ids = [loc.location_id for loc in locations]
    expect(all(isinstance(i, str) and i for i in ids), "location ids must be non-empty strings")
    expect(len(set(ids)) == len(ids), "location ids repeat")


async def check_variants_carry_item_ids(h: ContractHarness) -> None:
    variants = await collect(h.connector.variants())
    expect(bool(variants), "variants() is empty")
    ids = [v.item_id for v in variants]
    expect(all(isinstance(i, str) and i for i in ids), "every variant needs an item_id string")
    expect(len(set(ids)) == len(ids), "item ids repeat across variants")


async def check_levels_reference_known_items(h: ContractHarness) -> None:
    items = {v.item_id for v in await collect(h.connector.variants())}
    locations = {loc.location_id for loc in await collect(h.connector.locations())}
    for level in await collect(h.connector.levels()):
        expect(level.item_id in items, f"level for unknown item {level.item_id}")
        if h.connector.capabilities.multi_location:
            expect(level.location_id in locations, f"level at unknown location {level.location_id}")
        else:
            expect(level.location_id is None, "single-location platforms report location_id None")


async def check_set_then_read_back(h: ContractHarness) -> None:
    level = await writable_level(h)
    target = level.available + 7
    change = LevelChange(level.item_id, level.location_id, target, expected=level.available, reference="r-1")
    [outcome] = await h.connector.set_levels([change])
    expect(outcome.status == "applied", f"push was {outcome.status}: {outcome.error!r}")
    expect(outcome.change == change, "an outcome must carry its change")
    after = await find_level(h.connector, level.item_id, level.location_id)
    expect(after is not None and after.available == target, f"read back {after}, pushed {target}")


async def check_outcomes_in_order(h: ContractHarness) -> None:
    levels = (await collect(h.connector.levels()))[:2]
    changes = [
        LevelChange(lv.item_id, lv.location_id, lv.available + 1, lv.available, reference=f"ref-{n}")
        for n, lv in enumerate(levels)
    ]
    outcomes = await h.connector.set_levels(changes)
    expect(len(outcomes) == len(changes), "one outcome per change")
    expect([o.change.reference for o in outcomes] == [c.reference for c in changes], "outcomes out of order")
    expect(all(o.status == "applied" for o in outcomes), f"statuses {[o.status for o in outcomes]}")
    expect(h.connector.capabilities.max_batch >= 1, "max_batch must be positive")


async def check_concurrent_sale_is_not_overwritten(h: ContractHarness) -> None:
    """A sale the channel took after our last acknowledgement must survive our next push: a
    compare-and-set is refused as stale, or re-sent as the same move from the level the channel
    holds (and says so in `observed_before`); a delta keeps it by construction."""
    level = await writable_level(h)
    base = level.available + 5
    [seeded] = await h.connector.set_levels(
        [LevelChange(level.item_id, level.location_id, base, level.available)]
    )
    expect(seeded.status == "applied", f"setting up the level failed: {seeded}")
    await h.sell(level.item_id, level.location_id, 2)
    change = LevelChange(level.item_id, level.location_id, base + 3, expected=base)
    [outcome] = await h.connector.set_levels([change])
    after = await find_level(h.connector, level.item_id, level.location_id)
    expect(after is not None, "level vanished")
    assert after is not None
    if h.connector.capabilities.compare_and_set and outcome.status != "applied":
        expect(outcome.status == "stale", f"compare-and-set push after a sale was {outcome.status}")
        expect(after.available == base - 2, f"a refused push changed the level to {after.available}")
        expect(
            outcome.remote_quantity in (None, base - 2), f"stale outcome reports {outcome.remote_quantity}"
        )
    else:  # a delta, or a compare-and-set re-sent from the level the channel held
        expect(outcome.status == "applied", f"delta push was {outcome.status}")
        expect(after.available == base + 3 - 2, f"the push lost the sale: level is {after.available}")
        if h.connector.capabilities.compare_and_set:
            expect(
                outcome.observed_before == base - 2,
                f"a re-sent push must report the level it moved from, not {outcome.observed_before}",
            )


async def check_webhook_verification(h: ContractHarness) -> None:
    headers, body = h.signed_webhook()
    expect(h.connector.verify_webhook(headers, body), "a genuine delivery failed verification")
    message = h.connector.parse_webhook(headers, body)
    expect(bool(message.topic) and bool(message.delivery_id), "parsed webhook lacks topic or delivery id")
    tampered = body.replace(b"}", b' , "x": 1}', 1) if b"}" in body else body + b" "
    expect(tampered != body, "could not tamper with the body")
    expect(not h.connector.verify_webhook(headers, tampered), "a tampered body passed verification")
    try:
        h.connector.parse_webhook(headers, tampered)
    except ConnectorError:
        return
    raise ContractFailure("parse_webhook accepted a tampered body")


CONTRACT_CHECKS: tuple[Callable[[ContractHarness], Awaitable[None]], ...] = (
    check_connects,
    check_rejects_bad_credentials,
    check_lists_locations,
    check_variants_carry_item_ids,
    check_levels_reference_known_items,
    check_set_then_read_back,
    check_outcomes_in_order,
    check_concurrent_sale_is_not_overwritten,
    check_webhook_verification,
)


class ConnectorContract(ABC):
    """Subclass as `TestMyPlatformContract` and implement `harness()`."""

    @abstractmethod
    def harness(self) -> AbstractAsyncContextManager[ContractHarness]:
        """A fresh emulator + connector for one check."""

    def run_check(self, check: Callable[[ContractHarness], Awaitable[None]]) -> None:
        async def scenario() -> None:
            async with self.harness() as h:
                try:
                    await check(h)
                finally:
                    await h.connector.aclose()

        asyncio.run(scenario())

    def test_check_connects(self) -> None:
        self.run_check(check_connects)

    def test_check_rejects_bad_credentials(self) -> None:
        self.run_check(check_rejects_bad_credentials)

    def test_locations_are_listed(self) -> None:
        self.run_check(check_lists_locations)

    def test_variants_carry_item_ids(self) -> None:
        self.run_check(check_variants_carry_item_ids)

    def test_levels_reference_known_items_and_locations(self) -> None:
        self.run_check(check_levels_reference_known_items)

    def test_set_levels_then_levels_reads_back_the_value(self) -> None:
        self.run_check(check_set_then_read_back)

    def test_outcomes_come_one_per_change_in_order(self) -> None:
        self.run_check(check_outcomes_in_order)

    def test_a_concurrent_sale_is_not_overwritten(self) -> None:
        self.run_check(check_concurrent_sale_is_not_overwritten)

    def test_webhook_verification_rejects_a_tampered_body(self) -> None:
        self.run_check(check_webhook_verification)
