"""Setting stock on WooCommerce, which has no compare-and-set: a delta from the acknowledged value.

For each `LevelChange(quantity, expected)` the writer reads the item's current `stock_quantity`,
writes `current + (quantity - expected)` (never below zero; `quantity` when `expected` is None:
no base yet), and reports `applied` with the `stock_quantity` WooCommerce answers and the
`current` it read (`observed_before`). Sales the shop took since
our last acknowledged push (current < expected) are therefore kept, not overwritten.

Race window (honest): WooCommerce offers no conditional write (woocommerce/woocommerce#21808), so
a sale the shop takes *between our read and our write* of the same item is overwritten by the
absolute number we write: the window is one read plus one batch write (two round trips, a few
milliseconds on a good link). The writer keeps it as short as it can: the read is made per batch
right before the write (only the stock fields, `_fields`), never reused across batches, and a
write is never retried blindly. And it is *detected* for simple products: the read also takes the
product's read-only `total_sales`, and the batch answer carries it again after the write; what
it grew by is reported as `PushOutcome.overwritten`, sales the level we wrote does not reflect,
so the hub holds them back instead of trusting it (`sync.settle`), and the writer takes them off
at once: it reads the item again and writes what it holds now less those sales, up to
`overwrite_corrections` times (2 by default; each such write has a window of its own, shorter
than a hub round). Measured at 200 orders/s in the simulator: 2 overwritten units, left on offer
until the hub's next round, sold a second time.
Variations carry no `total_sales` of their own, so for them the window stays undetected.
After a write whose answer was lost, a re-read decides: an item at its target was written
(`applied`); any other is `failed` and the pusher retries from its acknowledged base next round.
Residual risk: a write that landed *and* was followed by a sale before that re-read looks
unwritten, and the retry applies the delta a second time. Reconciliation (reading what the shop
shows against what the hub wants) heals both. The hidden `inventory_delta` field (read-add-write
inside PHP) would shrink the window further but is undocumented, so it is not used.

Calls per `set_levels`: WooCommerce batches products at `products/batch` and a product's
variations at `products/{id}/variations/batch`, at most 100 items each (413 beyond), so a call is
one read and one write per group (simple products; each variable product touched), plus one read
and one write per correction of an overwrite.

Failure table per item:
    item id not "<product>" or "<product>/<variation>"   failed PermanentError
    item not found on read                               failed RemoteNotFoundError
    stock not managed by WooCommerce on that item        failed PermanentError (a shop setting)
    batch slot answers {"error": {...}}                  failed, kind from its data.status
    read or write call fails                             failed with that error (the write is
                                                         verified by a re-read first: an item
                                                         already at its target is `applied`)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from stockbridge.connectors.base import LevelChange, PushOutcome
from stockbridge.connectors.errors import (
    AuthError,
    ConnectorError,
    PermanentError,
    RemoteNotFoundError,
    TransientError,
)
from stockbridge.connectors.woocommerce import mappers
from stockbridge.connectors.woocommerce.client import WooClient
from stockbridge.connectors.woocommerce.mappers import ItemRef, Node
from stockbridge.connectors.woocommerce.streams import WooStreams

MAX_BATCH = 100  # WooCommerce's `woocommerce_rest_batch_items_limit` default


@dataclass(frozen=True)
class _Planned:
    index: int
    change: LevelChange
    ref: ItemRef
    base: int = 0
    target: int = 0
    sales_before: int | None = None  # the product's `total_sales` at our read


class LevelWriter:
    def __init__(self, client: WooClient, streams: WooStreams) -> None:
        self.client, self.streams = client, streams

    async def set_levels(self, changes: Sequence[LevelChange]) -> list[PushOutcome]:
        if len(changes) > MAX_BATCH:
            raise PermanentError(
                f"{len(changes)} changes exceed WooCommerce's batch limit of {MAX_BATCH}",
                connection=self.client.connection,
                operation="set_levels",
            )
        outcomes: dict[int, PushOutcome] = {}
        groups: dict[int | None, list[_Planned]] = {}
        seen: set[ItemRef] = set()
        for index, change in enumerate(changes):
            try:
                ref = mappers.parse_item_id(change.item_id)
            except ValueError as error:
                outcomes[index] = self._failed(change, PermanentError, str(error))
                continue
            if ref in seen:
                outcomes[index] = self._failed(change, PermanentError, "item named twice in one push")
                continue
            seen.add(ref)
            groups.setdefault(ref.product_id if ref.variation_id is not None else None, []).append(
                _Planned(index, change, ref)
            )
        for parent, items in groups.items():
            path = "products/batch" if parent is None else f"products/{parent}/variations/batch"
            outcomes.update(await self._push_group(path, items))
        return [outcomes[i] for i in range(len(changes))]

    async def _push_group(self, path: str, items: list[_Planned]) -> dict[int, PushOutcome]:
        try:
            current = await self.streams.read_stock(p.ref for p in items)
        except ConnectorError as error:
            return {p.index: PushOutcome(p.change, "failed", error=error) for p in items}
        outcomes: dict[int, PushOutcome] = {}
        planned: list[_Planned] = []
        for item in items:
            node = current.get(item.ref)
            problem = self._unwritable(item, node)
            if problem is not None:
                outcomes[item.index] = PushOutcome(item.change, "failed", error=problem)
                continue
            assert node is not None
            planned.append(_plan(item, node))
        if planned:
            outcomes.update(await self._correct(path, planned, await self._write(path, planned)))
        return outcomes

    async def _correct(
        self, path: str, planned: list[_Planned], written: dict[int, PushOutcome]
    ) -> dict[int, PushOutcome]:
        """Take off at once the sales a write overwrote: read the item again and write what it
        holds now less those sales, up to `overwrite_corrections` times (each write can overwrite
        the sales of its own, shorter, window). An outcome keeps what is left `overwritten`, and
        all sales since the first read in `sold_meanwhile`; a correction that fails keeps the
        outcome before it (the hub takes the units off next round)."""
        first = {p.index: p for p in planned}
        for _ in range(self.client.config.overwrite_corrections):
            redo = [
                first[i]
                for i, o in written.items()
                if o.status == "applied" and o.overwritten > 0 and o.remote_quantity is not None
            ]
            if not redo:
                break
            try:
                current = await self.streams.read_stock(p.ref for p in redo)
            except ConnectorError:
                break
            fixes = []
            for p in redo:
                node = current.get(p.ref)
                if node is None or node.get("stock_quantity") is None or _total_sales(node) is None:
                    continue
                base = int(node["stock_quantity"])
                target = max(base - written[p.index].overwritten, 0)
                fixes.append(_Planned(p.index, p.change, p.ref, base, target, _total_sales(node)))
            if not fixes:
                break
            again = await self._write(path, fixes)
            for fix in fixes:
                before, after = written[fix.index], again[fix.index]
                if after.status != "applied":
                    continue
                since = max((before.remote_quantity or 0) - fix.base, 0)  # sold between the two writes
                written[fix.index] = PushOutcome(
                    fix.change,
                    "applied",
                    remote_quantity=after.remote_quantity,
                    overwritten=after.overwritten,
                    observed_before=first[fix.index].base,
                    sold_meanwhile=max(before.sold_meanwhile, before.overwritten) + since + after.overwritten,
                )
        return written

    async def _write(self, path: str, planned: list[_Planned]) -> dict[int, PushOutcome]:
        body = {"update": [mappers.stock_update(p.ref, p.target) for p in planned]}
        try:
            response = await self.client.call("POST", path, body=body, operation=f"POST {path}", retry=False)
            slots = response.json().get("update")
        except TransientError as error:
            return await self._verify(planned, error)
        except ConnectorError as error:
            return {p.index: PushOutcome(p.change, "failed", error=error) for p in planned}
        if not isinstance(slots, list) or len(slots) != len(planned):
            mismatch = TransientError(f"{path} answered {len(slots or [])} slots for {len(planned)} updates")
            return await self._verify(planned, mismatch)
        return {p.index: self._slot_outcome(p, slot, path) for p, slot in zip(planned, slots, strict=True)}

    async def _verify(self, planned: list[_Planned], error: ConnectorError) -> dict[int, PushOutcome]:
        """After a failed write: items already at their target were written (the answer was lost)."""
        try:
            current = await self.streams.read_stock(p.ref for p in planned)
        except ConnectorError:
            current = {}
        outcomes = {}
        for p in planned:
            held = current.get(p.ref, {}).get("stock_quantity")
            if held is not None and int(held) == p.target:
                outcomes[p.index] = PushOutcome(p.change, "applied", remote_quantity=p.target)
            else:
                outcomes[p.index] = PushOutcome(p.change, "failed", error=error)
        return outcomes

    def _slot_outcome(self, planned: _Planned, slot: Node, path: str) -> PushOutcome:
        problem = slot.get("error") if isinstance(slot, Mapping) else {"message": "not an object"}
        if problem:
            status = int((problem.get("data") or {}).get("status") or 400)
            message = f"{problem.get('code', 'error')}: {problem.get('message', '')}"
            error = _slot_kind(status)(
                message, connection=self.client.connection, operation=f"POST {path}", status=status
            )
            return PushOutcome(planned.change, "failed", error=error)
        held = slot.get("stock_quantity")
        after = _total_sales(slot)
        taken = after - planned.sales_before if after is not None and planned.sales_before is not None else 0
        return PushOutcome(
            planned.change,
            "applied",
            remote_quantity=int(held) if held is not None else None,
            overwritten=max(taken, 0),
            observed_before=planned.base,
            sold_meanwhile=max(taken, 0),
        )

    def _unwritable(self, item: _Planned, node: Node | None) -> ConnectorError | None:
        if node is None:
            return self._error(RemoteNotFoundError, f"item {item.change.item_id} not found")
        if not mappers.manages_own_stock(node) or node.get("stock_quantity") is None:
            how = node.get("manage_stock")
            return self._error(
                PermanentError,
                f"WooCommerce does not manage stock of {item.change.item_id} (manage_stock={how!r})",
            )
        return None

    def _failed(self, change: LevelChange, kind: type[ConnectorError], message: str) -> PushOutcome:
        return PushOutcome(change, "failed", error=self._error(kind, message))

    def _error(self, kind: type[ConnectorError], message: str) -> ConnectorError:
        return kind(message, connection=self.client.connection, operation="set_levels")


def _plan(item: _Planned, node: Node) -> _Planned:
    change, base = item.change, int(node["stock_quantity"])
    target = change.quantity if change.expected is None else base + (change.quantity - change.expected)
    target = max(target, 0)  # sales since our base can exceed a decrease: never write below zero
    return _Planned(item.index, change, item.ref, base, target, _total_sales(node))


def _total_sales(node: Node | object) -> int | None:
    value = node.get("total_sales") if isinstance(node, Mapping) else None
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


def _slot_kind(status: int) -> type[ConnectorError]:
    if status == 404:
        return RemoteNotFoundError
    if status in (401, 403):
        return AuthError
    if status >= 500 or status in (408, 409, 429):
        return TransientError
    return PermanentError
