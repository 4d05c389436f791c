"""`stockbridge serve` refuses to start an open API unless told to (the server itself is the API's
tests' business; here only the command's own decisions)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import Invoke


def test_serve_without_api_keys_refuses_to_start(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STOCKBRIDGE_API_KEYS", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env file with keys
    result = invoke("serve", "--db", f"sqlite:///{tmp_path}/hub.db", "--port", "1")
    assert result.exit_code == 1
    assert "STOCKBRIDGE_API_KEYS" in result.stderr and "--no-auth" in result.stderr


def test_every_command_has_help(invoke: Invoke) -> None:
    for command in (
        ["init"], ["serve"], ["import", "catalog"], ["import", "stock"], ["balances"], ["available"],
        ["explain", "balance"], ["explain", "listing"], ["quarantine", "list"], ["quarantine", "retry"],
        ["quarantine", "discard"], ["verify"], ["reservations", "expire"], ["tour"], ["demo"], ["simulate"],
    ):  # fmt: skip
        result = invoke(*command, "--help")
        assert result.exit_code == 0, (command, result.output)
