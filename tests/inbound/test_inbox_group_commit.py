"""Group commit of webhook deliveries (sync.inbox_commit): many threads, few transactions, each
caller its own answer; a row that cannot be stored fails alone. SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa

from stockbridge.services.connections import get_connection
from stockbridge.services.context import HubContext
from stockbridge.store.schema_sync import webhook_inbox
from stockbridge.sync.inbox import insert_delivery
from stockbridge.sync.inbox_commit import DeliveryCommitter
from tests.inbound.helpers import CONNECTION


def _values(ctx: HubContext, delivery_id: str) -> dict[str, Any]:
    return {
        "tenant_id": ctx.tenant_id,
        "connection_id": get_connection(ctx, CONNECTION).id,
        "topic": "orders/create",
        "delivery_id": delivery_id,
        "headers": {},
        "body": delivery_id.encode(),
        "received_at": ctx.clock.now(),
        "status": "pending",
        "attempts": 0,
    }


def _stored(ctx: HubContext) -> dict[int, str]:
    with ctx.read() as conn:
        rows = conn.execute(sa.select(webhook_inbox.c.id, webhook_inbox.c.delivery_id)).all()
    return {int(i): d for i, d in rows}


def test_threads_storing_at_once_each_get_their_own_row_and_a_repeat_gets_none(shop: HubContext) -> None:
    committer = DeliveryCommitter(insert_delivery)
    ids = [f"d-{n % 30}" for n in range(40)]  # 30 deliveries, 10 of them delivered twice

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda d: (d, committer.store(shop, _values(shop, d))), ids))

    stored = _stored(shop)
    assert sorted(stored.values()) == sorted({*ids})
    firsts = [(d, i) for d, i in answers if i is not None]
    assert len(firsts) == 30 and all(stored[i] == d for d, i in firsts), "each caller got its own row's id"
    assert sum(i is None for _, i in answers) == 10


class _Gate:
    """An insert that holds the transaction writing delivery `held` until released, and refuses
    the delivery `refused`, if any; otherwise the inbox's own insert."""

    def __init__(self, held: str, refused: str | None = None) -> None:
        self.held, self.refused = held, refused
        self.started, self.release = threading.Event(), threading.Event()

    def __call__(self, conn: sa.Connection, values: Mapping[str, Any]) -> int | None:
        if values["delivery_id"] == self.held:
            self.started.set()
            assert self.release.wait(30)
        if values["delivery_id"] == self.refused:
            raise ValueError("this row cannot be stored")
        return insert_delivery(conn, values)


def test_what_queues_while_a_transaction_is_written_goes_into_the_next_one(shop: HubContext) -> None:
    gate = _Gate(held="first")
    committer = DeliveryCommitter(gate)
    with ThreadPoolExecutor(max_workers=21) as pool:
        first = pool.submit(committer.store, shop, _values(shop, "first"))
        assert gate.started.wait(30)
        rest = [pool.submit(committer.store, shop, _values(shop, f"d-{n}")) for n in range(20)]
        _until(lambda: committer.queued() == 20)
        gate.release.set()
        results = [first.result(30)] + [f.result(30) for f in rest]

    assert None not in results and len(_stored(shop)) == 21
    assert committer.transactions == 2, "the 20 that queued behind the first went in one transaction"


def test_a_row_that_cannot_be_stored_fails_alone(shop: HubContext) -> None:
    gate = _Gate(held="hold", refused="bad")
    committer = DeliveryCommitter(gate)
    with ThreadPoolExecutor(max_workers=8) as pool:
        held = pool.submit(committer.store, shop, _values(shop, "hold"))
        assert gate.started.wait(30)
        names = ["a", "bad", "b", "c"]
        futures = {n: pool.submit(committer.store, shop, _values(shop, n)) for n in names}
        _until(lambda: committer.queued() == len(names))
        gate.release.set()
        assert held.result(30) is not None
        with pytest.raises(ValueError, match="cannot be stored"):
            futures["bad"].result(30)
        good = {n: futures[n].result(30) for n in ("a", "b", "c")}

    assert sorted(_stored(shop).values()) == ["a", "b", "c", "hold"]
    assert None not in good.values()


def _until(condition: Any, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "the threads did not queue"
        time.sleep(0.005)
