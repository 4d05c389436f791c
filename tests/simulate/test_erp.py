"""The simulated ERP's files are what the file connector reads: movements in the ERP's codes with
the malformed line where the ERP says it is, snapshots as counts, a resend byte for byte the same;
and its jobs are seeded like every other plan."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from stockbridge.connectors.files.formats import parse_drop
from stockbridge.simulate.erp import ErpDrop
from stockbridge.simulate.scenarios import get_scenario
from stockbridge.simulate.warehouse import plan_warehouse


def erp(root: Path) -> ErpDrop:
    return ErpDrop(root, "erp", "WH2", "02", random.Random(5))


async def with_fake_watcher(drop: ErpDrop, work: asyncio.Task[bool]) -> bool:
    """Take each file out of the inbox (what `files watch` does) until `work` is done."""
    done = drop.root / "done"
    done.mkdir(parents=True, exist_ok=True)
    while not work.done():
        for path in drop.inbox.glob("[!.]*"):
            path.rename(done / f"{len(list(done.iterdir())):03d}-{path.name}")
        await asyncio.sleep(0.01)
    return work.result()


def run(drop: ErpDrop, work: Coroutine[Any, Any, bool]) -> bool:
    async def main() -> bool:
        return await with_fake_watcher(drop, asyncio.create_task(work))

    return asyncio.run(main())


def test_a_delivery_with_a_malformed_line_reads_as_the_erp_wrote_it(tmp_path: Path) -> None:
    drop = erp(tmp_path)
    lines = [{"type": "receipt", "sku": "SKU-001", "location": "WH2", "quantity": 5}]
    bad = {"type": "receipt", "sku": "SKU-002", "location": "WH2", "quantity": 4}

    assert run(drop, drop.movements(lines * 2, "delivery", malformed=bad))

    (dropped,) = drop.files
    (line,) = dropped.malformed_lines
    (path,) = (tmp_path / "done").iterdir()
    parsed = parse_drop(dropped.name, path.read_bytes(), "erp")
    assert parsed.kind == "movements" and len(parsed.rows) == 3
    broken = [row for row in parsed.rows if row.error is not None]
    assert [row.where for row in broken] == [f"line {line}"]
    good = next(row.payload for row in parsed.rows if row.error is None)
    assert (good["sku"], good["location"], good["quantity"]) == ("ERP-SKU-001", "02", "5")
    assert drop.injected["malformed_rows"] == 1


def test_a_resend_is_the_same_bytes_under_the_same_name(tmp_path: Path) -> None:
    drop = erp(tmp_path)
    lines = [{"type": "receipt", "sku": "SKU-001", "location": "WH2", "quantity": 5}]
    assert run(drop, drop.movements(lines, "delivery"))
    assert run(drop, drop.resend())

    first, again = sorted((tmp_path / "done").iterdir())
    assert first.read_bytes() == again.read_bytes()
    assert first.name.split("-", 1)[1] == again.name.split("-", 1)[1]
    assert [f.resent for f in drop.files] == [False, True] and drop.injected["duplicate_files"] == 1


def test_a_snapshot_is_counts_in_the_erps_codes(tmp_path: Path) -> None:
    drop = erp(tmp_path)
    assert run(drop, drop.snapshot([("SKU-001", 7), ("SKU-002", 0)]))

    (path,) = (tmp_path / "done").iterdir()
    parsed = parse_drop(path.name, path.read_bytes(), "erp")
    assert parsed.kind == "snapshot"
    assert [(r.payload["type"], r.payload["sku"], r.payload["quantity"]) for r in parsed.rows] == [
        ("count", "ERP-SKU-001", 7),
        ("count", "ERP-SKU-002", 0),
    ]


def test_the_erp_books_deliveries_one_malformed_and_sends_one_twice_right_after_it() -> None:
    scenario = get_scenario("erp-file-drop").with_overrides(2.0, None)
    jobs = plan_warehouse(scenario, 3)
    deliveries = [j for j in jobs if j.kind == "delivery"]
    (resend,) = [j for j in jobs if j.kind == "resend"]
    assert len(deliveries) >= 2 and sum(j.ref for j in deliveries) == 1
    assert all(j.at_s <= 0.8 * scenario.duration_s for j in deliveries)
    assert resend.at_s in {round(d.at_s + 0.001, 4) for d in deliveries}
    assert plan_warehouse(scenario, 3) == jobs and plan_warehouse(scenario, 4) != jobs
