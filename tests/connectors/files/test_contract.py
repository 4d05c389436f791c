"""The shared connector contract, for the checks that apply to a file drop.

A file drop has no webhooks and no channel that sells behind the hub's back (a partner takes the
hub's absolute numbers), so `check_webhook_verification` and `check_concurrent_sale_is_not_overwritten`
do not apply; every other check runs as written.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

import pytest

from stockbridge.connectors.base import LevelChange
from stockbridge.connectors.files import FileConnector, FileDropConfig
from stockbridge.connectors.testing import (
    CONTRACT_CHECKS,
    ContractHarness,
    check_concurrent_sale_is_not_overwritten,
    check_webhook_verification,
)
from stockbridge.domain.clock import FrozenClock

NOT_APPLICABLE = {check_concurrent_sale_is_not_overwritten, check_webhook_verification}
APPLICABLE = [c for c in CONTRACT_CHECKS if c not in NOT_APPLICABLE]


def harness(root: Path) -> ContractHarness:
    connector = FileConnector(FileDropConfig(connection="erp", root=root / "drop"), FrozenClock())

    async def sell(_item: str, _location: str | None, _units: int) -> None:
        raise AssertionError("a file drop has no channel-side sales")

    def signed_webhook() -> tuple[Mapping[str, str], bytes]:
        raise AssertionError("a file drop receives no webhooks")

    (root / "not-a-folder").write_text("a file where the drop folder should be")
    bad = FileConnector(FileDropConfig(connection="erp", root=root / "not-a-folder"), FrozenClock())
    return ContractHarness(connector, sell, signed_webhook, lambda: bad)


@pytest.mark.parametrize("check", APPLICABLE, ids=lambda c: c.__name__)
def test_file_connector_passes_the_contract(
    check: Callable[[ContractHarness], Awaitable[None]], tmp_path: Path
) -> None:
    async def scenario() -> None:
        h = harness(tmp_path)
        seeded = [LevelChange("TEE", "WH1", 5, None), LevelChange("MUG", "WH1", 2, None)]
        assert [o.status for o in await h.connector.set_levels(seeded)] == ["applied", "applied"]
        await check(h)
        await h.connector.aclose()

    asyncio.run(scenario())


def test_the_checks_left_out_are_exactly_those_a_file_drop_cannot_meet() -> None:
    caps = FileConnector(
        FileDropConfig(connection="erp", root=Path("/nonexistent")), FrozenClock()
    ).capabilities
    assert not caps.webhooks and not caps.compare_and_set and len(APPLICABLE) == len(CONTRACT_CHECKS) - 2
