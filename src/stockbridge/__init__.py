"""stockbridge: one source of truth for stock, catalog, orders and customers across channels."""

__version__ = "0.1.0"
