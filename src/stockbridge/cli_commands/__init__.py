"""The command groups of `stockbridge ...`; `stockbridge.cli` wires them into one typer app."""
