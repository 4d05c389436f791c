"""Claiming inbox rows: the claim and the apply are one transaction, so a worker that dies in
between leaves the row pending for another; on PostgreSQL a claimed row is skipped, not waited on."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from stockbridge.services.context import HubContext
from stockbridge.store.schema_sync import webhook_inbox
from stockbridge.sync.inbox import process_inbox
from tests.inbound.fakes import FakeConnector, WorkerCrash, order_payload
from tests.inbound.helpers import at, balance, deliver, inbox_rows, order_events


def test_a_worker_dying_between_claim_and_apply_leaves_the_row_for_another(
    shop: HubContext, fake: FakeConnector
) -> None:
    deliver(shop, fake, "orders/create", order_payload("1", at(0), [("item-tee", "TEE", 2)]))
    fake.crash_on_topic = "orders/create"
    with pytest.raises(WorkerCrash):
        process_inbox(shop, fake.for_config)
    (row,) = inbox_rows(shop)
    assert (row.status, row.attempts, row.processed_at) == ("pending", 0, None)
    assert order_events(shop, "1") == []
    fake.crash_on_topic = None  # the next worker
    assert process_inbox(shop, fake.for_config).counts == {"done": 1}
    assert balance(shop, "TEE", "WH1").committed == 2


def test_a_row_claimed_by_another_worker_is_skipped_not_waited_on(
    shop: HubContext, fake: FakeConnector, db_url: str
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time: there is no concurrent claim to skip")
    deliver(shop, fake, "orders/create", order_payload("1", at(0), [("item-tee", "TEE", 2)]))
    deliver(shop, fake, "orders/create", order_payload("2", at(0), [("item-tee", "TEE", 1)]))
    first_id = inbox_rows(shop)[0].id
    with shop.engine.connect() as other, other.begin():  # another worker holds the first row
        other.execute(sa.select(webhook_inbox.c.id).where(webhook_inbox.c.id == first_id).with_for_update())
        assert process_inbox(shop, fake.for_config).counts == {"done": 1}
        assert [r.status for r in inbox_rows(shop)] == ["pending", "done"]
    assert process_inbox(shop, fake.for_config).counts == {"done": 1}
    assert balance(shop, "TEE", "WH1").committed == 3


def test_workers_racing_over_duplicates_of_one_order_apply_it_once(
    shop: HubContext, fake: FakeConnector
) -> None:
    import threading

    payload = order_payload("R", at(0), [("item-tee", "TEE", 2), (None, "MUG", 1)])
    for n in range(6):
        deliver(shop, fake, "orders/updated", payload, f"evt-{n}")
    deliver(
        shop, fake, "orders/cancelled", order_payload("R", at(1), [("item-tee", "TEE", 2)], cancelled=True)
    )
    results: list[dict[str, int]] = []
    workers = [
        threading.Thread(target=lambda: results.append(process_inbox(shop, fake.for_config).counts))
        for _ in range(3)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sum(r.get("done", 0) for r in results) == 7, (
        results,
        [(r.id, r.status, r.error) for r in inbox_rows(shop)],
    )
    assert [t for t, _ in order_events(shop, "R")] == ["sale", "sale_cancelled"]
    assert (balance(shop, "TEE", "WH1").committed, balance(shop, "MUG", "WH1").committed) == (0, 0)


DYING_WORKER = """
import os, sys
import stockbridge.sync.inbox as inbox
from stockbridge.services.context import HubContext
from stockbridge.store.engine import make_engine
from tests.inbound.fakes import FakeConnector

# The process dies after the order's ledger events are written, before the commit.
inbox.shift_acknowledged = lambda *args, **kwargs: os._exit(9)
inbox.process_inbox(HubContext(make_engine(sys.argv[1])), FakeConnector("s3cret").for_config)
"""


def test_a_worker_process_killed_before_commit_leaves_nothing_applied_and_the_row_pending(
    shop: HubContext, fake: FakeConnector, db_url: str
) -> None:
    import subprocess
    import sys
    from pathlib import Path

    deliver(shop, fake, "orders/create", order_payload("K", at(0), [("item-tee", "TEE", 2)]))
    root = Path(__file__).resolve().parents[2]
    died = subprocess.run([sys.executable, "-c", DYING_WORKER, db_url], cwd=root, timeout=120, check=False)
    assert died.returncode == 9
    (row,) = inbox_rows(shop)
    assert (row.status, row.attempts) == ("pending", 0) and order_events(shop, "K") == []
    assert process_inbox(shop, fake.for_config).counts == {"done": 1}
    assert balance(shop, "TEE", "WH1").committed == 2
