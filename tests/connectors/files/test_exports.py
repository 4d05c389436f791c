"""Level exports to the outbox: the hub's numbers with the partner's codes, written atomically."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from stockbridge.connectors.files import DropFolder, export_available_to_sell, export_balances
from stockbridge.connectors.files.folders import write_atomic
from stockbridge.services.context import HubContext
from stockbridge.services.ingest import ingest_events


def stock(hub: HubContext) -> None:
    events = [
        {"type": "receipt", "sku": "TEE", "location": "WH1", "quantity": 7},
        {"type": "receipt", "sku": "MUG", "location": "WH2", "quantity": 4},
        {"type": "sale", "sku": "TEE", "location": "WH1", "quantity": 2},
    ]
    assert ingest_events(hub, events, source="test").summary()["applied"] == 3


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text())))


def test_available_to_sell_per_listing_is_exported_with_partner_skus(hub: HubContext, tmp_path: Path) -> None:
    stock(hub)
    folder = DropFolder(tmp_path)

    path = export_available_to_sell(hub, folder, "erp", "shop")

    assert path.parent == folder.outbox and path.name.startswith("atp-shop-") and path.suffix == ".csv"
    rows = read_csv(path)
    # TEE: 5 available at WH1 minus the channel buffer of 1; MUG's stock is at WH2, which does not feed the shop
    assert rows == [
        {"channel": "shop", "sku": "MUG", "partner_sku": "", "available_to_sell": "0"},
        {"channel": "shop", "sku": "TEE", "partner_sku": "AB-12", "available_to_sell": "4"},
    ]


def test_balances_are_exported_per_location_with_every_state_as_json(hub: HubContext, tmp_path: Path) -> None:
    stock(hub)
    folder = DropFolder(tmp_path)

    path = export_balances(hub, folder, "erp", "json", location="WH1")

    (row,) = json.loads(path.read_text())["rows"]
    assert path.name.startswith("balances-WH1-")
    assert row["sku"] == "TEE" and row["partner_sku"] == "AB-12" and row["partner_location"] == "01"
    assert (row["on_hand"], row["committed"], row["available"]) == (7, 2, 5)


def test_two_exports_at_the_same_clock_time_do_not_overwrite_each_other(
    hub: HubContext, tmp_path: Path
) -> None:
    folder = DropFolder(tmp_path)
    first = export_balances(hub, folder, "erp")
    stock(hub)
    second = export_balances(hub, folder, "erp")

    assert first != second and len(read_csv(first)) == 0 and len(read_csv(second)) == 2
    assert sorted(p.name for p in folder.outbox.iterdir()) == sorted(
        [first.name, second.name]
    )  # no temp files


def test_an_interrupted_export_leaves_the_previous_file_whole_and_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "levels.csv"
    (tmp_path / "a-folder").mkdir()
    (tmp_path / "a-folder" / "f").write_text("x")
    write_atomic(target, b"item_id,quantity\nA,1\n")

    with pytest.raises(TypeError):  # the write fails after the temporary file was opened
        write_atomic(target, "item_id,quantity\nA,2\n")  # type: ignore[arg-type]
    with pytest.raises(IsADirectoryError):  # the rename fails
        write_atomic(tmp_path / "a-folder", b"x")

    assert target.read_bytes() == b"item_id,quantity\nA,1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-folder", "levels.csv"]
