"""Emulated platforms: real HTTP servers on loopback that speak Shopify's and WooCommerce's wire protocols.

Each emulator keeps its own in-memory shop and is proved against the platform's official Python
client and (for Shopify) recorded real responses. Shared machinery lives here:

- `server.py`: the `Emulator` base (fault middleware, `/_emulator/` admin surface) and two runners,
  `EmulatorServer` (async context manager) and `ThreadedEmulatorServer` (start/stop/base_url).
- `faults.py`: runtime fault switches (downtime 503 or dropped connections, a share of 5xx, lost
  responses, latency, hard throttling, dropped / duplicated / delayed / reordered webhooks),
  deterministic for a seed.
- `webhooks.py`: signed webhook delivery with the platform's headers; `counters.py`. Time comes from
  `stockbridge.domain.clock` (a `FrozenClock` in tests drives leaky buckets and OAuth windows).
- `shopify/`: Admin GraphQL (2026-04, 2026-07) validated against the vendored real schema, cost
  and leaky bucket, compare-and-set inventory mutations with `@idempotent`, storefront orders.
- `woocommerce/`: REST v3 with OAuth 1.0a / Basic auth, batches, pagination, webhooks, storefront.

In a test::

    emulator = ShopifyEmulator(clock=FrozenClock())  # stockbridge.domain.clock
    seed(emulator.store, {"locations": ["Shop location"], "products": [...]})
    with ThreadedEmulatorServer(emulator) as server:
        httpx.post(server.base_url + "/admin/api/2026-04/graphql.json", ...)

As a process: `python -m stockbridge.sandbox shopify --port 8081 --seed catalog.json`, then
`POST /_emulator/faults {"error_rate": 0.1, "seed": 7}`, `GET /_emulator/counters`,
`GET /_emulator/state`, `POST /_emulator/storefront/orders`, `POST /_emulator/webhooks/drain`.
"""
