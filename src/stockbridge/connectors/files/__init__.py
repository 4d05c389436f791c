"""File-drop connector for ERPs, WMSs and 3PLs without an API.

Inbound: `FileDropIngestor` watches `<root>/inbox/` and turns stock snapshots (count events) and
movement files (the hub's event format) into ledger events, idempotently and with malformed rows
quarantined by file and line. Outbound: `export_available_to_sell` / `export_balances` and
`FileConnector.set_levels` write atomic files to `<root>/outbox/`.
"""

from stockbridge.connectors.files.config import FileDropConfig
from stockbridge.connectors.files.connector import FileConnector, connector_from_config
from stockbridge.connectors.files.drop import FileDropIngestor, FileReport, RowResult
from stockbridge.connectors.files.exports import export_available_to_sell, export_balances
from stockbridge.connectors.files.folders import DropFolder

__all__ = [
    "DropFolder",
    "FileConnector",
    "FileDropConfig",
    "FileDropIngestor",
    "FileReport",
    "RowResult",
    "connector_from_config",
    "export_available_to_sell",
    "export_balances",
]
