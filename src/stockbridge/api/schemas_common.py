"""Schemas shared by every router: the problem document (RFC 9457) and its OpenAPI wiring.

Only the HTTP edge uses pydantic; services keep their dataclasses and plain dicts.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

PROBLEM_MEDIA_TYPE = "application/problem+json"


class Problem(BaseModel):
    """An error as RFC 9457 problem details, plus our machine `code` and the `field` to fix."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    code: str
    field: str | None = None
    instance: str | None = None


class InputModel(BaseModel):
    """Request bodies: unknown fields are refused, so a typo is named instead of ignored."""

    model_config = ConfigDict(extra="forbid")


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` entry documenting problem bodies for the given status codes."""
    return {
        status: {"model": Problem, "content": {PROBLEM_MEDIA_TYPE: {}}, "description": "Problem details"}
        for status in statuses
    }
