"""Shopify Admin GraphQL emulator (see `emulator.py`)."""

from stockbridge.sandbox.shopify.emulator import DEFAULT_SECRET, DEFAULT_TOKEN, ShopifyEmulator, shopify_hmac

__all__ = ["DEFAULT_SECRET", "DEFAULT_TOKEN", "ShopifyEmulator", "shopify_hmac"]
