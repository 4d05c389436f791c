"""The README's first lines and its five-minute tour are executed, so they cannot rot."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stockbridge.cli import get_app

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def _tour_commands() -> list[list[str]]:
    section = README.split("## A five-minute tour", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block is not None
    commands = []
    for line in block.group(1).splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("stockbridge "):
            commands.append(shlex.split(line)[1:])
    return commands


def test_first_lines_give_the_setup_run_and_test_commands() -> None:
    first = README.splitlines()[:6]
    assert any("scripts/setup.sh" in line and "stockbridge demo" in line for line in first)
    assert any("scripts/setup.sh" in line and "scripts/test.sh" in line for line in first)
    assert "scripts/test.sh" in (ROOT / ".ci" / "run").read_text()


def test_the_tour_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("STOCKBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path / 'tour.db'}")
    runner = CliRunner()
    commands = _tour_commands()
    assert len(commands) >= 8
    for args in commands:
        result = runner.invoke(get_app(), args)
        expected = 3 if any("with-errors" in a for a in args) else 0  # 3: finished, some rows rejected
        assert result.exit_code == expected, (args, result.output)
