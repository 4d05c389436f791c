"""Channel sync: converge every channel to the levels the hub wants, and take in what channels say.

Outbound (dirty listings -> channels):
    outbox        claim dirty listings and clear the flag atomically; per-listing push state
    plan          desired ATP, bound remote item, push location, base (acknowledged level)
    pusher        one round per connection: decreases first, batches of max_batch, CAS or delta
    calls, retry  every call through the breaker, retried with backoff+jitter / throttle waits
    settle        record applied / stale / failed outcomes; dead-letter permanent failures
    breaker       circuit breaker per channel (closed / open / half-open, injected clock)
    dead_letters  parked failures: list, replay (re-marks the listing), discard
    reconcile     read the channel, report drift per listing, heal by policy
    metrics       prometheus instruments on an injected registry; outbox gauges at scrape time
    status        per-listing push state and skip reasons, for people
    worker        the long-running loop; connectors built through `connectors.ConnectorFactory`
    discovery     read a channel's locations and variants and bind them
    cli, cli_run  `stockbridge sync ...`

Inbound (webhook inbox, pollers, cursors, bindings lookups): `inbox`, `pollers`, `cursors`,
`inbound_bindings`, `inbound_cli`.
"""
