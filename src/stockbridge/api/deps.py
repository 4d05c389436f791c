"""Dependencies the routers share: the hub context the app was built with."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from stockbridge.services.context import HubContext


def get_ctx(request: Request) -> HubContext:
    ctx: HubContext = request.app.state.ctx
    return ctx


Ctx = Annotated[HubContext, Depends(get_ctx)]
