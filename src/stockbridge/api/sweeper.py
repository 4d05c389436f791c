"""The reservation expiry sweeper that runs beside the API.

Every `interval_s` seconds it calls the sweep function (normally `expire_due`) in a worker
thread, because the services are synchronous SQLAlchemy. A failing sweep is logged and tried
again on the next tick: one bad moment of the database must not stop expiry for good.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from stockbridge.services.context import HubContext

logger = logging.getLogger(__name__)

Sweep = Callable[[HubContext], int]
BATCH_LIMIT = 500  # expire_due's default page: a full page means more may be due


class ExpirySweeper:
    def __init__(self, ctx: HubContext, sweep: Sweep, interval_s: float) -> None:
        if interval_s <= 0:
            raise ValueError("interval_s must be greater than zero")
        self.ctx, self.sweep, self.interval_s = ctx, sweep, interval_s

    async def tick(self) -> int:
        """Expire everything due now, page by page; returns how many were expired."""
        total = 0
        while True:
            expired = await asyncio.to_thread(self.sweep, self.ctx)
            total += expired
            if expired < BATCH_LIMIT:
                return total

    async def run_forever(self) -> None:
        while True:
            try:
                expired = await self.tick()
                if expired:
                    logger.info("expired %d reservations", expired)
            except Exception:
                logger.exception("reservation expiry sweep failed; retrying next tick")
            await asyncio.sleep(self.interval_s)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        task = asyncio.create_task(self.run_forever(), name="reservation-expiry-sweeper")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
