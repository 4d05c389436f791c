"""HTTP front of identity resolution: a FastAPI router factory.

Owns request and response schemas (pydantic, at the edge only) and the endpoints:
resolve a posted batch, explain a pair within a batch, and list / accept / reject /
apply / undo merge proposals. The store and clock are injected; without a store the
router keeps proposals in a private in-memory SQLite database.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field
from sqlalchemy.pool import StaticPool

from stockbridge.identity import merges
from stockbridge.identity.explain import explain_near_threshold, explain_pair
from stockbridge.identity.records import CustomerRecord
from stockbridge.identity.resolver import Resolution, ResolverConfig, resolve
from stockbridge.identity.store import MergeStore, StoredProposal


class CustomerIn(BaseModel):
    id: str = Field(min_length=1)
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    street: str = ""
    city: str = ""
    postcode: str = ""
    region: str = ""
    country: str = ""
    date_of_birth: str = ""
    source: str = ""
    updated_at: str = ""
    marketing_consent: bool | None = None


class ResolveRequest(BaseModel):
    customers: list[CustomerIn] = Field(min_length=1)
    threshold: float = Field(0.5, gt=0.0, lt=1.0)
    default_country: str = "GB"
    explain: bool = False
    propose: bool = False
    auto_accept: float | None = Field(None, gt=0.0, le=1.0)


class ExplainRequest(BaseModel):
    customers: list[CustomerIn] = Field(min_length=2)
    left_id: str
    right_id: str
    threshold: float = Field(0.5, gt=0.0, lt=1.0)
    default_country: str = "GB"


class ReviewRequest(BaseModel):
    reviewer: str = "api"


def _memory_store() -> MergeStore:
    engine = sa.create_engine("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool)
    store = MergeStore(engine)
    store.create_tables()
    return store


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _run(
    customers: list[CustomerIn],
    threshold: float,
    country: str,
    clock: merges.Clock,
) -> tuple[list[CustomerRecord], Resolution]:
    ids = [c.id for c in customers]
    if len(set(ids)) != len(ids):
        raise HTTPException(status_code=422, detail="customer ids must be unique")
    records = [CustomerRecord(**c.model_dump()) for c in customers]
    return records, resolve(
        records, clock().date(), ResolverConfig(threshold=threshold, default_country=country)
    )


def _proposal_out(proposal: StoredProposal) -> dict[str, Any]:
    return asdict(proposal)


def create_customers_router(store: MergeStore | None = None, clock: merges.Clock = _utc_now) -> APIRouter:
    """Router with the customer identity endpoints under `/customers`."""
    router = APIRouter(prefix="/customers", tags=["customers"])
    merge_store = store or _memory_store()

    @router.post("/resolve")
    def resolve_batch(request: ResolveRequest) -> dict[str, Any]:
        records, result = _run(request.customers, request.threshold, request.default_country, clock)
        body: dict[str, Any] = {
            "clusters": [
                {"id": i, "cluster_id": c} for i, c in zip(result.ids, result.cluster_ids(), strict=True)
            ],
        }
        if request.explain:
            body["explanations"] = [asdict(e) for e in explain_near_threshold(result, request.threshold)]
        if request.propose:
            created = merges.propose_merges(result, records, merge_store, clock, request.auto_accept)
            body["proposals"] = [_proposal_out(p) for p in created]
        return body

    @router.post("/explain")
    def explain(request: ExplainRequest) -> dict[str, Any]:
        _, result = _run(request.customers, request.threshold, request.default_country, clock)
        try:
            return asdict(explain_pair(result, request.left_id, request.right_id, request.threshold))
        except KeyError as error:
            raise HTTPException(status_code=404, detail=f"unknown customer id {error.args[0]!r}") from error

    @router.get("/proposals")
    def list_proposals(status: str | None = None) -> list[dict[str, Any]]:
        return [_proposal_out(p) for p in merge_store.list(status=status)]

    def _change(proposal_id: str, action: str, reviewer: str) -> dict[str, Any]:
        try:
            if action == "accept":
                return _proposal_out(merges.accept_merge(merge_store, proposal_id, reviewer, clock))
            if action == "reject":
                return _proposal_out(merges.reject_merge(merge_store, proposal_id, reviewer, clock))
            if action == "apply":
                return _proposal_out(merges.apply_merge(merge_store, proposal_id, clock, reviewer))
            return _proposal_out(merges.undo_merge(merge_store, proposal_id, clock, reviewer))
        except merges.MergeNotFoundError as error:
            raise HTTPException(status_code=404, detail=str(error)) from error
        except merges.MergeStateError as error:
            raise HTTPException(status_code=409, detail=str(error)) from error

    @router.post("/proposals/{proposal_id}/{action}")
    def change(proposal_id: str, action: str, review: ReviewRequest | None = None) -> dict[str, Any]:
        if action not in {"accept", "reject", "apply", "undo"}:
            raise HTTPException(status_code=404, detail=f"unknown action {action!r}")
        return _change(proposal_id, action, (review or ReviewRequest()).reviewer)

    return router
