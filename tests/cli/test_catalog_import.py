"""`stockbridge init` and catalog import: the JSON document, CSV per kind, rejected records by line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from stockbridge.services.catalog_places import list_channels, list_locations
from stockbridge.services.catalog_skus import list_skus
from stockbridge.services.context import HubContext
from stockbridge.store.engine import make_engine, sqlite_url
from tests.cli.conftest import EXAMPLES, Invoke


def _catalog(url: str) -> dict[str, Any]:
    engine = make_engine(url)
    ctx = HubContext(engine)
    try:
        return {
            "skus": [s.__dict__ for s in list_skus(ctx)],
            "locations": list_locations(ctx),
            "channels": list_channels(ctx),
        }
    finally:
        engine.dispose()


def test_init_creates_the_schema_and_can_run_again(invoke: Invoke, tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "fresh.db")
    for _ in range(2):
        result = invoke("init", "--db", url)
        assert result.exit_code == 0, result.output
        assert "schema is up to date" in result.stdout
    assert "balances" in sa.inspect(sa.create_engine(url)).get_table_names()


def test_init_takes_the_url_from_the_environment(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = sqlite_url(tmp_path / "from-env.db")
    monkeypatch.setenv("STOCKBRIDGE_DATABASE_URL", url)
    assert invoke("init").exit_code == 0
    assert (tmp_path / "from-env.db").exists()


def test_catalog_json_defines_every_kind(invoke: Invoke, db_url: str) -> None:
    result = invoke("import", "catalog", str(EXAMPLES / "catalog.json"), "--db", db_url, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report == {"defined": {"locations": 3, "skus": 3, "channels": 2, "listings": 4}, "rejected": []}
    catalog = _catalog(db_url)
    tee = next(s for s in catalog["skus"] if s["code"] == "TEE-BLUE-M")
    assert tee["units"] == {"case": 12, "pallet": 480}
    assert tee["aliases"] == {"erp": ["AB-12"], "amazon": ["ab12-blue"]}


def test_csv_files_per_kind_describe_the_same_catalog_as_the_json(
    invoke: Invoke, db_url: str, tmp_path: Path
) -> None:
    for kind in ("locations", "skus", "channels", "listings"):
        result = invoke("import", kind, str(EXAMPLES / f"{kind}.csv"), "--db", db_url)
        assert result.exit_code == 0, result.output
    other = sqlite_url(tmp_path / "from-json.db")
    assert invoke("import", "catalog", str(EXAMPLES / "catalog.json"), "--db", other).exit_code == 0
    assert _catalog(db_url) == _catalog(other)


def test_importing_the_catalog_again_changes_nothing(invoke: Invoke, with_catalog: str) -> None:
    before = _catalog(with_catalog)
    assert invoke("import", "catalog", str(EXAMPLES / "catalog.json"), "--db", with_catalog).exit_code == 0
    assert _catalog(with_catalog) == before


def test_bad_catalog_rows_are_reported_by_line_and_the_rest_is_defined(
    invoke: Invoke, with_catalog: str, tmp_path: Path
) -> None:
    skus = tmp_path / "skus.csv"
    skus.write_text(
        "code,title,units,aliases,components\n"
        "CAP,Cap,box=10,,\n"
        "CUP,Cup,box=ten,,\n"
        "TWIN,Two caps,,,CAP=2;GHOST=1\n"
        "TEE-COPY,Copy,,erp=AB-12,\n"
        ",No code,,,\n"
    )
    result = invoke("import", "skus", str(skus), "--db", with_catalog, "--json")
    assert result.exit_code == 3, result.output
    report = json.loads(result.stdout)
    assert report["defined"]["skus"] == 1
    rejected = {r["where"]: r["error"] for r in report["rejected"]}
    assert set(rejected) == {"line 3", "line 4", "line 5", "line 6"}
    assert "units[0].factor" in rejected["line 3"]
    assert "GHOST" in rejected["line 4"]
    assert "already points at SKU 'TEE-BLUE-M'" in rejected["line 5"]
    assert "code is required" in rejected["line 6"]


def test_a_catalog_file_with_unknown_columns_is_refused_whole(
    invoke: Invoke, with_catalog: str, tmp_path: Path
) -> None:
    bad = tmp_path / "locations.csv"
    bad.write_text("code,nmae\nWH9,Typo\n")
    result = invoke("import", "locations", str(bad), "--db", with_catalog)
    assert result.exit_code == 1
    assert "nmae" in result.stderr
    assert "WH9" not in [loc["code"] for loc in _catalog(with_catalog)["locations"]]


def test_catalog_json_with_a_bad_entry_names_its_path(invoke: Invoke, db_url: str, tmp_path: Path) -> None:
    doc = tmp_path / "catalog.json"
    doc.write_text(json.dumps({"locations": [{"code": "A"}, {"code": "B", "kind": "moon"}]}))
    result = invoke("import", "catalog", str(doc), "--db", db_url)
    assert result.exit_code == 3
    assert "locations[1]" in result.stdout and "kind must be one of" in result.stdout


def test_one_kind_as_a_json_list_and_a_csv_row_with_too_many_fields(
    invoke: Invoke, with_catalog: str, tmp_path: Path
) -> None:
    listing = tmp_path / "listings.json"
    listing.write_text(json.dumps([{"channel": "amazon", "sku": "MUG", "rules": {"buffer": 4}}]))
    assert invoke("import", "listings", str(listing), "--db", with_catalog).exit_code == 0
    shown = json.loads(
        invoke("available", "--channel", "amazon", "--sku", "MUG", "--db", with_catalog, "--json").stdout
    )
    assert shown[0]["rules"]["buffer"] == 4
    locations = tmp_path / "locations.csv"
    locations.write_text("code,name\nWH7,Annex, east side\nWH8,Annex\n")
    result = invoke("import", "locations", str(locations), "--db", with_catalog, "--json")
    assert result.exit_code == 3
    assert json.loads(result.stdout)["rejected"] == [
        {"kind": "locations", "where": "line 2", "error": "3 fields, header has 2"}
    ]
