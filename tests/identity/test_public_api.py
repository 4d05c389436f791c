"""The package's public surface is explicit and complete."""

from __future__ import annotations

import stockbridge.identity as identity


def test_all_names_exist_and_cover_the_library_call() -> None:
    assert all(hasattr(identity, name) for name in identity.__all__)
    assert {"resolve", "ResolverConfig", "CustomerRecord", "explain_pair", "build_golden_record"} <= set(
        identity.__all__
    )


def test_the_customers_command_group_offers_resolve_and_review() -> None:
    from typer.testing import CliRunner

    from stockbridge.identity.cli import app

    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("resolve", "explain", "generate", "proposals", "accept", "reject", "apply", "undo"):
        assert command in result.output
