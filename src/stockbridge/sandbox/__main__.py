"""Run one emulator as its own process: `python -m stockbridge.sandbox shopify --port 8081`.

Prints `listening on <base url>` once the socket is bound (port 0 picks a free one), then serves
until interrupted. `--seed FILE` loads a JSON catalog spec (see each emulator's `seed`).
Faults, counters, state and webhooks are then driven over `/_emulator/...`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from stockbridge.sandbox.server import Emulator, EmulatorServer


def build_emulator(platform: str, seed_file: Path | None) -> Emulator:
    spec = json.loads(seed_file.read_text()) if seed_file else None
    if platform == "shopify":
        from stockbridge.sandbox.shopify import ShopifyEmulator
        from stockbridge.sandbox.shopify.storefront import seed as seed_shopify

        shop = ShopifyEmulator()
        if spec:
            seed_shopify(shop.store, spec)
        return shop
    if platform == "woocommerce":
        from stockbridge.sandbox.woocommerce import WooCommerceEmulator
        from stockbridge.sandbox.woocommerce.storefront import seed as seed_woo

        woo = WooCommerceEmulator()
        if spec:
            seed_woo(woo.store, spec)
        return woo
    raise SystemExit(f"unknown platform: {platform}")


async def serve(emulator: Emulator, host: str, port: int) -> None:
    async with EmulatorServer(emulator, host, port) as server:
        print(f"listening on {server.base_url}", flush=True)
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stockbridge.sandbox")
    parser.add_argument("platform", choices=["shopify", "woocommerce"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=Path, default=None)
    args = parser.parse_args(argv)
    emulator = build_emulator(args.platform, args.seed)
    try:
        asyncio.run(serve(emulator, args.host, args.port))
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
