"""Configuration of one file-drop connection: where its folders are and how it writes exports.

The connection code names the partner system (an ERP, a WMS, a 3PL) in the hub: its SKU aliases
and external location codes are looked up under this code, and every event read from its files
carries it. Validated at the edge (pydantic), then passed down as a plain value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ExportFormat = Literal["csv", "json"]


class FileDropConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    connection: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")
    root: Path
    export_format: ExportFormat = "csv"
    # Polls a file must have been seen unchanged (size and mtime) before it is taken; 0 takes it at
    # once, which is right only for writers that rename finished files into the inbox.
    settle_polls: int = Field(default=1, ge=0, le=100)
    batch_size: int = Field(default=1000, ge=1, le=10_000)
    max_batch: int = Field(default=100_000, ge=1)
