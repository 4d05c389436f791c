"""Level exports: the hub's numbers written to the outbox for a partner system to pick up.

Two exports: available-to-sell per listing of a channel (what the partner may sell), and balances
per SKU and location (every stock state, for ERPs and WMSs that book stock). Each row carries the
hub's codes and, where the connection has them, the partner's own codes (its SKU alias and
external location code), so the partner never has to translate. A file is written atomically
(temporary file + rename) under a name with the hub's clock time, so a partner polling the outbox
sees either nothing or a complete file, and exports never overwrite each other.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from stockbridge.connectors.files.config import ExportFormat
from stockbridge.connectors.files.folders import DropFolder, safe_name, unique_path, write_atomic
from stockbridge.services.availability import list_balances, listings_atp
from stockbridge.services.context import HubContext
from stockbridge.store.schema import location_codes, locations, sku_aliases, skus

MAX_BALANCE_ROWS = 10_000_000


def export_available_to_sell(
    ctx: HubContext, folder: DropFolder, connection: str, channel: str, fmt: ExportFormat = "csv"
) -> Path:
    """`outbox/atp-<channel>-<time>.<fmt>`: channel, sku, partner_sku, available_to_sell."""
    sku_alias, _ = partner_codes(ctx, connection)
    rows = [
        {
            "channel": item.channel,
            "sku": item.sku,
            "partner_sku": sku_alias.get(item.sku, ""),
            "available_to_sell": item.result.quantity,
        }
        for item in listings_atp(ctx, channel=channel)
    ]
    stem = f"atp-{safe_name(channel)}-{stamp(ctx.clock.now())}"
    return write_export(folder, stem, rows, ["channel", "sku", "partner_sku", "available_to_sell"], fmt)


def export_balances(
    ctx: HubContext,
    folder: DropFolder,
    connection: str,
    fmt: ExportFormat = "csv",
    *,
    location: str | None = None,
) -> Path:
    """`outbox/balances[-<location>]-<time>.<fmt>`: sku, location, partner codes, every state."""
    sku_alias, location_code = partner_codes(ctx, connection)
    views = list_balances(ctx, location=location, limit=MAX_BALANCE_ROWS)
    rows = [
        {
            "sku": view.sku,
            "partner_sku": sku_alias.get(view.sku, ""),
            "location": view.location,
            "partner_location": location_code.get(view.location, ""),
            **view.quantities.as_dict(),
        }
        for view in views
    ]
    columns = ["sku", "partner_sku", "location", "partner_location"]
    columns += [c for c in (rows[0] if rows else {}) if c not in columns]
    scope = f"-{safe_name(location)}" if location else ""
    return write_export(folder, f"balances{scope}-{stamp(ctx.clock.now())}", rows, columns, fmt)


def partner_codes(ctx: HubContext, connection: str) -> tuple[dict[str, str], dict[str, str]]:
    """Hub SKU code -> the connection's alias, hub location code -> its external code (the first
    in sort order where a connection has several)."""
    with ctx.read() as conn:
        sku_rows = conn.execute(
            sa.select(skus.c.code, sa.func.min(sku_aliases.c.alias))
            .join(skus, skus.c.id == sku_aliases.c.sku_id)
            .where(sku_aliases.c.tenant_id == ctx.tenant_id, sku_aliases.c.connection == connection)
            .group_by(skus.c.code)
        ).all()
        location_rows = conn.execute(
            sa.select(locations.c.code, sa.func.min(location_codes.c.external_code))
            .join(locations, locations.c.id == location_codes.c.location_id)
            .where(location_codes.c.tenant_id == ctx.tenant_id, location_codes.c.connection == connection)
            .group_by(locations.c.code)
        ).all()
    return {str(c): str(a) for c, a in sku_rows}, {str(c): str(e) for c, e in location_rows}


def write_export(
    folder: DropFolder,
    stem: str,
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    fmt: ExportFormat,
) -> Path:
    """Write `outbox/<stem>.<fmt>` atomically (a numbered name if that one exists); its path."""
    folder.outbox.mkdir(parents=True, exist_ok=True)
    path = unique_path(folder.outbox, f"{stem}.{fmt}")
    write_atomic(path, render(rows, columns, fmt))
    return path


def render(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], fmt: ExportFormat) -> bytes:
    if fmt == "json":
        return json.dumps({"rows": [dict(r) for r in rows]}, indent=1, sort_keys=False).encode() + b"\n"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S%fZ")
