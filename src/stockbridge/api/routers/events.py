"""Inventory events, one or in bulk. Payloads go to the domain parser as raw JSON, so a bad event
is quarantined with the field named (and its quarantine id returned) rather than bounced at the edge.

Single event: 201 applied, 200 duplicate (same key, same content), otherwise a problem with the
error's status (422 bad input, 409 conflict or insufficient stock) and the `quarantine_id`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response
from fastapi.responses import JSONResponse

from stockbridge.api.deps import Ctx
from stockbridge.api.problems import problem_response, status_for_code
from stockbridge.api.schemas_common import problem_responses
from stockbridge.api.schemas_stock import BulkEventsIn, BulkEventsOut, EventOutcomeOut
from stockbridge.services.ingest import EventOutcome, ingest_events

router = APIRouter(prefix="/events", tags=["events"])

API_SOURCE = "api"
_EVENT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EventIn"}}},
    }
}


def outcome_out(outcome: EventOutcome) -> EventOutcomeOut:
    return EventOutcomeOut(
        index=outcome.index,
        status=outcome.status,
        idempotency_key=outcome.idempotency_key,
        event_id=outcome.event_id,
        quarantine_id=outcome.quarantine_id,
        error=dict(outcome.error) if outcome.error is not None else None,
    )


@router.post(
    "",
    status_code=201,
    response_model=EventOutcomeOut,
    responses={200: {"model": EventOutcomeOut, "description": "Duplicate"}, **problem_responses(409, 422)},
    openapi_extra=_EVENT_BODY,
)
def post_event(
    payload: Annotated[Any, Body()], request: Request, response: Response, ctx: Ctx
) -> EventOutcomeOut | JSONResponse:
    """Apply one event all-or-nothing; a rejected event is quarantined and reported as a problem."""
    (outcome,) = ingest_events(ctx, [payload], source=API_SOURCE).outcomes
    if outcome.status == "duplicate":
        response.status_code = 200
    if outcome.status != "quarantined" or outcome.error is None:
        return outcome_out(outcome)
    error = dict(outcome.error)
    code = str(error.pop("code", "validation_error"))
    detail = str(error.pop("message", "event rejected"))
    fields = {**error, "quarantine_id": outcome.quarantine_id, "idempotency_key": outcome.idempotency_key}
    return problem_response(status_for_code(code), code, detail, fields, instance=request.url.path)


@router.post("/bulk", response_model=BulkEventsOut, responses=problem_responses(422))
def post_events_bulk(body: BulkEventsIn, ctx: Ctx) -> BulkEventsOut:
    """Apply up to 5,000 events in one transaction, each all-or-nothing on its own.

    The answer is 200 whenever the batch was processed: read each outcome (applied, duplicate or
    quarantined with its error and quarantine id) and the summary.
    """
    report = ingest_events(ctx, body.events, source=body.source or API_SOURCE)
    return BulkEventsOut(summary=report.summary(), outcomes=[outcome_out(o) for o in report.outcomes])
