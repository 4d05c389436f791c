"""Reservations: hold stock (idempotent by key), then commit, release or extend it.

POST answers 201 for a new hold, 200 for a repeat of the same key and content, 409
`insufficient_stock` listing every short line, 409 `idempotency_conflict` for the same key with a
different request. Committing or releasing twice is a no-op; a finished hold answers 409.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response

from stockbridge.api.deps import Ctx
from stockbridge.api.schemas_common import problem_responses
from stockbridge.api.schemas_stock import ExtendIn, ReservationOut, ReserveIn
from stockbridge.errors import ValidationError
from stockbridge.services import reservations
from stockbridge.services.reservations import ReservationView, ReserveLine, ReserveRequest

router = APIRouter(prefix="/reservations", tags=["reservations"])


def _out(view: ReservationView) -> ReservationOut:
    return ReservationOut.model_validate(view, from_attributes=True)


def _idempotency_key(body: ReserveIn, header: str | None) -> str:
    if body.idempotency_key and header and body.idempotency_key != header:
        raise ValidationError(
            "the Idempotency-Key header and idempotency_key in the body differ", field="idempotency_key"
        )
    key = body.idempotency_key or header
    if not key:
        raise ValidationError(
            "an idempotency key is required (Idempotency-Key header or idempotency_key)",
            field="idempotency_key",
        )
    return key


@router.post(
    "",
    status_code=201,
    response_model=ReservationOut,
    responses={200: {"model": ReservationOut, "description": "Duplicate"}, **problem_responses(409, 422)},
)
def reserve(
    body: ReserveIn,
    request: Request,
    response: Response,
    ctx: Ctx,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> ReservationOut:
    """Hold every line or none, until `ttl_s` seconds from now."""
    command = ReserveRequest(
        idempotency_key=_idempotency_key(body, idempotency_key),
        lines=[ReserveLine(line.sku, line.quantity, line.location, line.unit) for line in body.lines],
        ttl_s=body.ttl_s,
        channel=body.channel,
        connection=body.connection,
        reference=body.reference,
    )
    view = reservations.reserve(ctx, command)
    response.headers["Location"] = str(request.url_for("get_reservation", reservation_id=view.id))
    if view.duplicate:
        response.status_code = 200
    return _out(view)


@router.get("/{reservation_id}", response_model=ReservationOut, responses=problem_responses(404))
def get_reservation(reservation_id: str, ctx: Ctx) -> ReservationOut:
    return _out(reservations.get_reservation(ctx, reservation_id))


@router.post("/{reservation_id}/commit", response_model=ReservationOut, responses=problem_responses(404, 409))
def commit(reservation_id: str, ctx: Ctx) -> ReservationOut:
    """The held units become committed (sold); expired holds cannot be committed."""
    return _out(reservations.commit_reservation(ctx, reservation_id))


@router.post(
    "/{reservation_id}/release", response_model=ReservationOut, responses=problem_responses(404, 409)
)
def release(reservation_id: str, ctx: Ctx) -> ReservationOut:
    return _out(reservations.release_reservation(ctx, reservation_id))


@router.post("/{reservation_id}/extend", response_model=ReservationOut, responses=problem_responses(404, 409))
def extend(reservation_id: str, body: ExtendIn, ctx: Ctx) -> ReservationOut:
    """Move the expiry to `ttl_s` seconds from now (only while the hold is live)."""
    return _out(reservations.extend_reservation(ctx, reservation_id, body.ttl_s))
