"""docs/import-formats.md cannot rot: the files it names exist, the CSV it shows in full are those
files, and the rejected-rows report it shows is what the command prints."""

from __future__ import annotations

import json
import re

from tests.cli.conftest import EXAMPLES, Invoke

DOC = EXAMPLES.parent / "docs" / "import-formats.md"


def _text() -> str:
    return DOC.read_text()


def test_every_example_the_doc_names_exists() -> None:
    named = set(re.findall(r"examples/([\w.-]+\.\w+)", _text()))
    assert named >= {"catalog.json", "stock.csv", "stock.json", "stock-with-errors.csv"}
    assert [name for name in sorted(named) if not (EXAMPLES / name).is_file()] == []


def test_csv_blocks_under_an_example_link_are_that_file_or_lines_of_it() -> None:
    pattern = r"\[`examples/([\w.-]+\.csv)`\]([^\n]*)\n\n```csv\n(.*?)```"
    shown = re.findall(pattern, _text(), flags=re.S)
    assert len(shown) >= 5
    for name, note, block in shown:
        content = (EXAMPLES / name).read_text()
        if "abridged" in note:
            assert set(block.splitlines()) <= set(content.splitlines()), name
        else:
            assert block == content, name


def test_the_documented_rejected_rows_report_is_what_the_command_prints(
    invoke: Invoke, with_catalog: str
) -> None:
    block = _text().split("$ stockbridge import stock examples/stock-with-errors.csv\n", 1)[1]
    summary, *rows = block.split("```", 1)[0].strip().splitlines()
    result = invoke(
        "import", "stock", str(EXAMPLES / "stock-with-errors.csv"), "--db", with_catalog, "--json"
    )
    report = json.loads(result.stdout)
    assert result.exit_code == 3
    assert summary.startswith(f"applied {report['applied']}, duplicate {report['duplicate']}, "
                              f"quarantined {report['quarantined']}")  # fmt: skip
    actual = [re.split(r"\s{2,}", row, maxsplit=2) for row in rows]
    assert actual == [[r["where"], r["field"], r["message"]] for r in report["rejected"]]


def test_json_blocks_under_an_example_link_are_that_file_or_entries_of_it() -> None:
    pattern = r"\[`examples/([\w.-]+\.json)`\]([^\n]*)\n\n```json\n(.*?)```"
    shown = re.findall(pattern, _text(), flags=re.S)
    assert len(shown) >= 2
    for name, note, block in shown:
        content, data = json.loads((EXAMPLES / name).read_text()), json.loads(block)
        if "abridged" not in note:
            assert data == content, name
            continue
        for kind, entries in data.items():
            assert all(entry in content[kind] for entry in entries), (name, kind)
