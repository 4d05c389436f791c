"""WooCommerce REST v3 emulator (see `emulator.py`)."""

from stockbridge.sandbox.woocommerce.emulator import (
    DEFAULT_KEY,
    DEFAULT_SECRET,
    WooCommerceEmulator,
    woo_signature,
)

__all__ = ["DEFAULT_KEY", "DEFAULT_SECRET", "WooCommerceEmulator", "woo_signature"]
