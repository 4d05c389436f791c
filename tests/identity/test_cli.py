"""`stockbridge customers ...` through the real Typer app."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from stockbridge.identity.cli import app

runner = CliRunner()

INPUT = """id,first_name,last_name,email,phone,street,city,postcode,country,loyalty_tier
a1,Jon,Smith,jon.smith+shop@gmail.com,07700 900123,12 High St,London,SW1A 1AA,GB,gold
b1,Jonathan,Smith,jonsmith@googlemail.com,+44 7700 900123,"12 High Street, Flat 2",London,sw1a1aa,UK,
,Nobody,Here,,,,,,,
c1,Mary,Jones,mary@example.org,,1 Elm Road,Leeds,LS1 1AA,GB,,extra-cell
a1,Duplicate,Row,,,,,,,
d1,Priya,Patel
"""


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_resolve_writes_a_cluster_for_every_good_row_and_reports_bad_lines(tmp_path: Path) -> None:
    source = tmp_path / "customers.csv"
    source.write_text(INPUT)
    output, explain = tmp_path / "clusters.csv", tmp_path / "pairs.csv"
    result = runner.invoke(
        app,
        [
            "resolve",
            "--input",
            str(source),
            "--output",
            str(output),
            "--explain",
            str(explain),
            "--threshold",
            "0.5",
        ],
    )
    assert result.exit_code == 0, result.output
    assert ":4: skipped: missing id" in result.output
    assert ":5: skipped: more cells than header columns" in result.output
    assert ":6: skipped: duplicate id 'a1'" in result.output
    rows = {row["id"]: row["cluster_id"] for row in _rows(output)}
    assert set(rows) == {"a1", "b1", "d1"}
    assert rows["a1"] == rows["b1"] != rows["d1"]
    explained = _rows(explain)
    assert {row["field"] for row in explained} >= {"first_name", "email", "phone", "address"}


def test_generate_then_resolve_and_review_merges(tmp_path: Path) -> None:
    data, output, db = tmp_path / "gen.csv", tmp_path / "out.csv", f"sqlite:///{tmp_path}/m.db"
    assert (
        runner.invoke(app, ["generate", "--output", str(data), "--count", "300", "--seed", "2"]).exit_code
        == 0
    )
    result = runner.invoke(app, ["resolve", "--input", str(data), "--output", str(output), "--db", db])
    assert result.exit_code == 0, result.output
    assert len(_rows(output)) == 300
    listing = runner.invoke(app, ["proposals", "--db", db])
    proposal_id = listing.output.split()[0]
    assert runner.invoke(app, ["accept", proposal_id, "--db", db]).exit_code == 0
    assert "applied" in runner.invoke(app, ["apply", proposal_id, "--db", db]).output
    assert "undone" in runner.invoke(app, ["undo", proposal_id, "--db", db]).output
    again = runner.invoke(app, ["undo", proposal_id, "--db", db])
    assert again.exit_code == 1


def test_explain_prints_per_field_contributions(tmp_path: Path) -> None:
    source = tmp_path / "customers.csv"
    source.write_text(INPUT)
    result = runner.invoke(app, ["explain", "--input", str(source), "--left", "a1", "--right", "b1"])
    assert result.exit_code == 0, result.output
    assert "a1 ~ b1: match" in result.output
    assert "first_name" in result.output and "nickname" in result.output
    missing = runner.invoke(app, ["explain", "--input", str(source), "--left", "a1", "--right", "zz"])
    assert missing.exit_code == 1
