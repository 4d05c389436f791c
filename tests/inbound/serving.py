"""The hub's API served by uvicorn on a loopback port inside the test's event loop, so that an
emulator can POST real signed webhooks to it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from pydantic import SecretStr

from stockbridge.api import create_app
from stockbridge.services.context import HubContext
from stockbridge.settings import Settings
from stockbridge.sync.inbound_bindings import ConnectorSource


@asynccontextmanager
async def serving(ctx: HubContext, source: ConnectorSource) -> AsyncIterator[str]:
    app = create_app(Settings(api_keys=[SecretStr("k")]), ctx, expiry_sweep=None)
    app.state.connector_source = source
    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
