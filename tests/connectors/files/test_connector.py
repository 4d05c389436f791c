"""The file drop through the `Connector` protocol: set_levels writes an export, levels reads back
what was exported, no webhooks, no orders, no compare-and-set."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from stockbridge.connectors.base import LevelChange, OrderCursor
from stockbridge.connectors.errors import AuthError, PermanentError
from stockbridge.connectors.files import FileConnector, FileDropConfig
from stockbridge.domain.clock import FrozenClock
from stockbridge.errors import ValidationError
from stockbridge.services.connections import ConnectionSpec, load_connection_config, register_connection
from stockbridge.services.context import HubContext
from stockbridge.sync.connectors import installed_connector

pytestmark = pytest.mark.anyio


@pytest.fixture
def connector(tmp_path: Path) -> FileConnector:
    return FileConnector(FileDropConfig(connection="3pl", root=tmp_path / "drop", max_batch=3), FrozenClock())


async def test_capabilities_declare_a_plain_file_drop(connector: FileConnector) -> None:
    caps = connector.capabilities
    assert (caps.webhooks, caps.compare_and_set, caps.rate_limit_model, caps.max_batch) == (
        False,
        False,
        "none",
        3,
    )
    assert connector.platform == "files" and connector.connection == "3pl"


async def test_check_creates_the_folders_and_refuses_an_unwritable_one(
    connector: FileConnector, tmp_path: Path
) -> None:
    await connector.check()
    assert sorted(p.name for p in (tmp_path / "drop").iterdir()) == [
        "done",
        "failed",
        "inbox",
        "outbox",
        "processing",
        "state",
    ]
    (tmp_path / "not-a-folder").write_text("x")
    misplaced = FileConnector(FileDropConfig(connection="3pl", root=tmp_path / "not-a-folder"), FrozenClock())
    with pytest.raises(AuthError) as caught:
        await misplaced.check()
    assert caught.value.as_dict()["connection"] == "3pl" and caught.value.operation == "check"


async def test_set_levels_writes_one_export_and_levels_reads_back_the_latest(
    connector: FileConnector,
) -> None:
    first = [LevelChange("TEE", "WH1", 5, None, "listing-1"), LevelChange("MUG", None, 0, 2, "listing-2")]
    outcomes = await connector.set_levels(first)
    assert [(o.status, o.remote_quantity) for o in outcomes] == [("applied", 5), ("applied", 0)]
    await connector.set_levels([LevelChange("TEE", "WH1", 3, 5)])

    exports = sorted(connector.folder.outbox.iterdir())
    assert len(exports) == 2
    rows = list(csv.DictReader(io.StringIO(exports[0].read_text())))
    assert rows[0] == {
        "item_id": "TEE",
        "location_id": "WH1",
        "quantity": "5",
        "expected": "",
        "reference": "listing-1",
    }
    levels = [(lv.item_id, lv.location_id, lv.available) async for lv in connector.levels()]
    assert levels == [("MUG", None, 0), ("TEE", "WH1", 3)]
    assert [lv.item_id async for lv in connector.levels(["TEE"])] == ["TEE"]
    assert [v.item_id async for v in connector.variants()] == ["MUG", "TEE"]
    assert [loc.location_id async for loc in connector.locations()] == ["WH1"]


async def test_more_changes_than_max_batch_are_refused_and_nothing_is_written(
    connector: FileConnector,
) -> None:
    with pytest.raises(PermanentError):
        await connector.set_levels([LevelChange(f"S{i}", None, i, None) for i in range(4)])
    assert not connector.folder.outbox.exists() or list(connector.folder.outbox.iterdir()) == []
    assert await connector.set_levels([]) == []


async def test_a_file_drop_has_no_orders_and_no_webhooks(connector: FileConnector) -> None:
    cursor = OrderCursor()
    assert await connector.orders(cursor) == ([], cursor)
    assert connector.verify_webhook({"X-Signature": "x"}, b"{}") is False
    with pytest.raises(PermanentError):
        connector.parse_webhook({}, b"{}")
    await connector.aclose()


def test_a_registered_file_connection_builds_a_file_connector(ctx: HubContext, tmp_path: Path) -> None:
    settings = {"root": str(tmp_path / "erp"), "export_format": "json", "push_location": "WH1"}
    register_connection(ctx, ConnectionSpec("erp", "files", settings=settings))

    connector = installed_connector(load_connection_config(ctx, "erp"))

    assert isinstance(connector, FileConnector) and connector.connection == "erp"
    assert connector.config.export_format == "json" and connector.folder.root == tmp_path / "erp"
    register_connection(ctx, ConnectionSpec("erp2", "files", settings={"export_format": "xml"}))
    with pytest.raises(ValidationError) as caught:
        installed_connector(load_connection_config(ctx, "erp2"))
    assert "root" in caught.value.message and "export_format" in caught.value.message
    register_connection(ctx, ConnectionSpec("erp3", "files", settings={"folder": str(tmp_path / "drop")}))
    synonym = installed_connector(load_connection_config(ctx, "erp3"))
    assert isinstance(synonym, FileConnector) and synonym.folder.root == tmp_path / "drop"
