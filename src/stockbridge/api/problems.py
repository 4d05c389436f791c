"""Every error leaves the API as `application/problem+json` (RFC 9457).

`StockbridgeError`s keep their `code`, `field` and named fields; FastAPI's request validation
errors name the field in the same `lines[0].quantity` form the domain uses; HTTP errors from
routing become problems too; anything unexpected is a 500 that shows no internals.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from stockbridge.api.schemas_common import PROBLEM_MEDIA_TYPE
from stockbridge.errors import NotFoundError, StockbridgeError

logger = logging.getLogger(__name__)

_RESERVED = {"type", "title", "status", "detail", "instance", "code"}
# A field an error carries under a name RFC 9457 reserves keeps its value under another name.
_RENAMED = {"status": "current_status", "type": "error_type", "title": "error_title"}
_WRITES = {"POST", "PUT", "PATCH"}
# Fields whose NotFoundError means "your request body names something unknown", not "no such URL".
_BODY_REFERENCE_FIELDS = {"locations", "components"}


def problem_response(
    status: int,
    code: str,
    detail: str,
    fields: Mapping[str, Any] | None = None,
    *,
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"urn:stockbridge:problem:{code}",
        "title": code.replace("_", " ").capitalize(),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance:
        body["instance"] = instance
    for name, value in (fields or {}).items():
        body[_RENAMED.get(name, f"{name}_") if name in _RESERVED else name] = value
    return JSONResponse(
        jsonable_encoder(body), status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers
    )


def status_for_code(code: str) -> int:
    """The HTTP status of an error code from the error tree (for errors carried as dicts)."""
    pending: list[type[StockbridgeError]] = [StockbridgeError]
    while pending:
        cls = pending.pop()
        if cls.code == code:
            return cls.http_status
        pending.extend(cls.__subclasses__())
    return 422


def error_problem(request: Request, error: StockbridgeError) -> JSONResponse:
    fields = {k: v for k, v in error.as_dict().items() if k not in ("code", "message")}
    status, code = error.http_status, error.code
    if _is_body_reference(request, error):
        # The missing thing was named in the request body, not the URL: the body is what to fix.
        status, code = 422, "unknown_reference"
    headers = getattr(error, "headers", None)
    return problem_response(status, code, error.message, fields, instance=request.url.path, headers=headers)


def _is_body_reference(request: Request, error: StockbridgeError) -> bool:
    field = error.fields.get("field")
    return isinstance(error, NotFoundError) and request.method in _WRITES and field in _BODY_REFERENCE_FIELDS


def field_path(loc: Sequence[str | int]) -> str:
    """("body", "lines", 0, "quantity") -> "lines[0].quantity"; the whole body is "$"."""
    parts = list(loc[1:]) if loc and loc[0] in ("body", "query", "path", "header", "cookie") else list(loc)
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "$"


async def _on_stockbridge_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StockbridgeError)
    return error_problem(request, error)


async def _on_validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [
        {"field": field_path(e.get("loc", ())), "message": str(e.get("msg", "")), "type": e.get("type")}
        for e in error.errors()
    ]
    if any(e["type"] == "json_invalid" for e in errors):
        errors = [{"field": "$", "message": "the body is not valid JSON", "type": "json_invalid"}]
    first = errors[0] if errors else {"field": "$", "message": "invalid request"}
    detail = f"{first['field']}: {first['message']}"
    fields = {"field": first["field"], "errors": errors}
    return problem_response(422, "validation_error", detail, fields, instance=request.url.path)


async def _on_http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
    return problem_response(
        error.status_code, code, str(error.detail), instance=request.url.path, headers=error.headers
    )


async def _on_unexpected(request: Request, error: Exception) -> JSONResponse:
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return problem_response(500, "internal_error", "the server failed to handle this request")


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StockbridgeError, _on_stockbridge_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)
