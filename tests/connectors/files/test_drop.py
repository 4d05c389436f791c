"""Drop-folder ingest: snapshots become counts, movements become events, re-drops apply nothing,
malformed rows are quarantined by file and line, unreadable files are failed with a reason."""

from __future__ import annotations

import json

import sqlalchemy as sa

from stockbridge.connectors.files import FileDropConfig, FileDropIngestor
from stockbridge.domain.clock import FrozenClock
from stockbridge.services.availability import list_balances
from stockbridge.services.context import HubContext
from stockbridge.services.ingest import ingest_events
from stockbridge.services.quarantine import list_quarantine
from stockbridge.store.schema import inventory_events
from tests.connectors.files.conftest import drop

SNAPSHOT = "sku,location,quantity,unit\nAB-12,01,2,case\nMUG,WH1,5,\n"


def on_hand(ctx: HubContext, sku: str, location: str) -> int:
    (view,) = list_balances(ctx, sku=sku, location=location)
    return view.quantities.on_hand


def events(ctx: HubContext) -> list[sa.Row[tuple[str, str]]]:
    with ctx.read() as conn:
        query = sa.select(inventory_events.c.type, inventory_events.c.idempotency_key).order_by(
            inventory_events.c.id
        )
        return list(conn.execute(query).all())


def test_a_snapshot_becomes_count_events_through_the_connections_aliases(ingestor: FileDropIngestor) -> None:
    ctx = ingestor.ctx
    ingest_events(ctx, [{"type": "receipt", "sku": "TEE", "location": "WH1", "quantity": 30}], source="test")
    drop(ingestor, "stock.csv", SNAPSHOT)

    (report,) = ingestor.poll_once()

    assert (report.status, report.kind, report.summary()) == (
        "done",
        "snapshot",
        {"applied": 2, "duplicate": 0, "quarantined": 0},
    )
    assert on_hand(ctx, "TEE", "WH1") == 24  # 2 cases counted: the count records a delta of -6
    assert on_hand(ctx, "MUG", "WH1") == 5
    assert [e.type for e in events(ctx)] == ["receipt", "count", "count"]
    assert events(ctx)[1].idempotency_key == f"files:erp:{report.digest}:2"
    assert report.moved_to.parent == ingestor.folder.done and report.moved_to.read_text() == SNAPSHOT
    assert list(ingestor.folder.inbox.iterdir()) == [] and list(ingestor.folder.processing.iterdir()) == []


def test_dropping_the_same_file_again_applies_nothing_even_after_later_sales(
    ingestor: FileDropIngestor,
) -> None:
    ctx = ingestor.ctx
    drop(ingestor, "stock.csv", SNAPSHOT)
    ingestor.poll_once()
    ingest_events(ctx, [{"type": "sale", "sku": "MUG", "location": "WH1", "quantity": 2}], source="test")
    drop(ingestor, "stock.csv", SNAPSHOT)

    (again,) = ingestor.poll_once()

    assert again.summary() == {"applied": 0, "duplicate": 2, "quarantined": 0}
    assert on_hand(ctx, "MUG", "WH1") == 5  # the old count did not undo what happened since
    assert len(list(ingestor.folder.done.iterdir())) == 2  # both drops kept, under distinct names


def test_a_changed_file_applies_only_as_new_rows(ingestor: FileDropIngestor) -> None:
    drop(ingestor, "stock.csv", SNAPSHOT)
    ingestor.poll_once()
    drop(ingestor, "stock.csv", SNAPSHOT.replace("MUG,WH1,5", "MUG,WH1,7"))

    (report,) = ingestor.poll_once()

    assert report.summary()["applied"] == 2  # a new content hash: new keys, counts are absolute
    assert on_hand(ingestor.ctx, "MUG", "WH1") == 7


def test_malformed_rows_are_quarantined_with_file_and_line_and_the_rest_applies(
    ingestor: FileDropIngestor,
) -> None:
    text = "sku,location,quantity\nMUG,WH1,4\nMUG,WH1,1,extra\nNOPE,WH1,3\nTEE,WH1,-2\n\nTEE,WH2,1.5\n"
    drop(ingestor, "counts.csv", text)

    (report,) = ingestor.poll_once()

    assert report.status == "done" and report.summary() == {"applied": 1, "duplicate": 0, "quarantined": 4}
    bad = {r.where: r for r in report.results if r.status == "quarantined"}
    assert set(bad) == {"line 3", "line 4", "line 5", "line 7"}
    messages = sorted(item.message for item in list_quarantine(ingestor.ctx))
    assert [m.split(":")[0] for m in messages] == [
        "counts.csv line 3",
        "counts.csv line 4",
        "counts.csv line 5",
        "counts.csv line 7",
    ]
    assert "unknown SKU 'NOPE'" in bad["line 4"].message and bad["line 4"].field == "lines[0].sku"
    assert bad["line 5"].field == "lines[0].quantity"
    assert all(item.source == "files:erp/counts.csv" for item in list_quarantine(ingestor.ctx))
    assert on_hand(ingestor.ctx, "MUG", "WH1") == 4


def test_movement_files_in_csv_and_json_are_applied_as_events(ingestor: FileDropIngestor) -> None:
    csv_text = (
        "type,sku,location,quantity,unit,to_location\nreceipt,AB-12,01,1,case,\ntransfer_out,TEE,WH1,2,,WH2\n"
    )
    json_events = [
        {"type": "receipt", "sku": "MUG", "location": "01", "quantity": 9},
        {"type": "sale", "sku": "MUG", "location": "WH1", "quantity": 4},
    ]
    drop(ingestor, "a-moves.csv", csv_text)
    drop(ingestor, "b-moves.json", json.dumps(json_events))

    reports = ingestor.poll_once()

    assert [(r.kind, r.summary()["applied"]) for r in reports] == [("movements", 2), ("movements", 2)]
    assert on_hand(ingestor.ctx, "TEE", "WH1") == 10
    (wh2,) = list_balances(ingestor.ctx, sku="TEE", location="WH2")
    assert wh2.quantities.in_transit == 2
    assert list_balances(ingestor.ctx, sku="MUG", location="WH1")[0].quantities.available == 5


def test_a_json_snapshot_counts_each_item(ingestor: FileDropIngestor) -> None:
    document = {
        "occurred_at": "2026-01-01T06:00:00Z",
        "snapshot": [{"sku": "MUG", "location": "WH2", "quantity": 3}, "junk"],
    }
    drop(ingestor, "snap.json", json.dumps(document))

    (report,) = ingestor.poll_once()

    assert report.kind == "snapshot" and [r.status for r in report.results] == ["applied", "quarantined"]
    assert report.results[1].message is not None and report.results[1].message.startswith("snap.json item 2:")
    assert on_hand(ingestor.ctx, "MUG", "WH2") == 3


def test_an_unreadable_file_is_failed_with_its_reason_and_applies_nothing(ingestor: FileDropIngestor) -> None:
    drop(ingestor, "latin1.csv", "sku,location,quantity\nM\xdcG,WH1,3\n".encode("latin-1"))
    drop(ingestor, "no-header.csv", "MUG,WH1,3\n")
    drop(ingestor, "broken.json", "[{")

    reports = ingestor.poll_once()

    assert [r.status for r in reports] == ["failed", "failed", "failed"]
    failed = sorted(p.name for p in ingestor.folder.failed.iterdir())
    assert len(failed) == 6 and sum(name.endswith(".error.txt") for name in failed) == 3
    reason = next(p for p in ingestor.folder.failed.iterdir() if p.name.endswith("latin1.csv.error.txt"))
    assert "not UTF-8" in reason.read_text()
    assert events(ingestor.ctx) == []


def test_a_file_still_being_written_is_left_until_it_settles(hub: HubContext, config: FileDropConfig) -> None:
    ingestor = FileDropIngestor(hub, config.model_copy(update={"settle_polls": 1}))
    ingestor.folder.ensure()
    path = drop(ingestor, "slow.csv", "sku,location,quantity\nMUG,WH1,1\n")
    drop(ingestor, ".hidden.csv", "sku,location,quantity\nMUG,WH1,9\n")
    drop(ingestor, "upload.csv.part", "sku,location,quantity\nMUG,WH1,9\n")

    assert ingestor.poll_once() == []
    with path.open("a") as handle:
        handle.write("TEE,WH1,4\n")
    assert ingestor.poll_once() == []  # it grew since the last poll
    (report,) = ingestor.poll_once()

    assert report.summary()["applied"] == 2
    assert sorted(p.name for p in ingestor.folder.inbox.iterdir()) == [".hidden.csv", "upload.csv.part"]


def test_a_file_left_in_processing_by_a_crash_is_taken_again(ingestor: FileDropIngestor) -> None:
    drop(ingestor, "stock.csv", SNAPSHOT)
    (first,) = ingestor.poll_once()
    (ingestor.folder.processing / "stock.csv").write_bytes(
        first.moved_to.read_bytes()
    )  # as if the move was lost

    (again,) = ingestor.poll_once()

    assert again.summary() == {"applied": 0, "duplicate": 2, "quarantined": 0}
    assert list(ingestor.folder.processing.iterdir()) == []


async def _no_sleep(_seconds: float) -> None:
    return None


def test_run_polls_until_stopped_with_an_injected_sleep(hub: HubContext, config: FileDropConfig) -> None:
    import asyncio

    ingestor = FileDropIngestor(hub, config)
    ingestor.folder.ensure()
    drop(ingestor, "stock.csv", SNAPSHOT)
    stop = asyncio.Event()
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        stop.set()

    asyncio.run(ingestor.run(stop, interval_s=30.0, sleep=sleep))

    assert waits == [30.0] and on_hand(hub, "MUG", "WH1") == 5
    assert isinstance(hub.clock, FrozenClock)


def test_a_long_file_name_still_fits_the_quarantine_source(ingestor: FileDropIngestor) -> None:
    name = "x" * 240 + ".csv"
    drop(ingestor, name, "sku,location,quantity\nNOPE,WH1,1\n")

    (report,) = ingestor.poll_once()

    (item,) = list_quarantine(ingestor.ctx)
    assert report.summary()["quarantined"] == 1 and item.source is not None and len(item.source) == 200
    assert item.message.startswith(f"{name} line 2:")
    assert report.moved_to.parent == ingestor.folder.done and len(report.moved_to.name) <= 230
    assert report.moved_to.name.endswith("~.csv")  # shortened, the suffix kept
