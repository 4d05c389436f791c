"""Platform connectors, all of one shape (`base.Connector`), each proved against its emulator.

`base` holds the protocol and the values that cross it, `errors` the failure kinds the sync
engine acts on, `http/` the shared client, rate limiting and retry; one package per platform.
"""
