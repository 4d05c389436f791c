"""WordPress REST conventions the WooCommerce emulator follows: errors, pagination, dates, money.

Errors are `{"code", "message", "data": {"status"}}`. Collections take `page` (1-based) and
`per_page` (1..100, default 10) and answer with `X-WP-Total`, `X-WP-TotalPages` and a `Link` header
(rel prev/next); `_fields` trims answers to the named keys. Dates are ISO-8601 without zone; `*_gmt` twins carry UTC (the emulated site runs on
UTC, so both agree). Money is a string with two decimals.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import urlencode

from aiohttp import web

T = TypeVar("T")
MAX_PER_PAGE = 100


class RestError(Exception):
    """An error answer in WordPress REST shape."""

    def __init__(self, code: str, message: str, status: int, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.headers = headers or {}

    def response(self) -> web.Response:
        body = {"code": self.code, "message": self.message, "data": {"status": self.status}}
        return web.json_response(body, status=self.status, headers=self.headers)


def not_found(code: str = "woocommerce_rest_product_invalid_id") -> RestError:
    return RestError(code, "Invalid ID.", 404)


def wp_date(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%S")


def money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def int_param(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        message = f"Invalid parameter(s): {name}"
        raise RestError("rest_invalid_param", message, 400)
    return value


def paginated(request: web.Request, items: Sequence[T]) -> tuple[list[T], dict[str, str]]:
    """The page of `items` the request asks for, and the WordPress pagination headers."""
    per_page = int_param(request, "per_page", 10, 1, MAX_PER_PAGE)
    page = int_param(request, "page", 1, 1, 10**9)
    offset = int_param(request, "offset", (page - 1) * per_page, 0, 10**9)
    total = len(items)
    pages = math.ceil(total / per_page) if total else 0
    if page > max(pages, 1):
        raise RestError(
            "rest_post_invalid_page_number",
            "The page number requested is larger than the number of pages available.",
            400,
        )
    headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
    links = []
    base = f"{request.scheme}://{request.host}{request.path}"
    query = {k: v for k, v in request.query.items() if not k.startswith("oauth_") and k != "page"}
    if page > 1:
        links.append(f'<{base}?{urlencode({**query, "page": page - 1})}>; rel="prev"')
    if page < pages:
        links.append(f'<{base}?{urlencode({**query, "page": page + 1})}>; rel="next"')
    if links:
        headers["Link"] = ", ".join(links)
    return list(items[offset : offset + per_page]), headers


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        text=json.dumps(body), status=status, headers=headers, content_type="application/json"
    )


async def json_body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError as exc:
        raise RestError("rest_invalid_json", "Invalid JSON body passed.", 400) from exc
    if not isinstance(body, dict):
        raise RestError("rest_invalid_json", "Invalid JSON body passed.", 400)
    return body


def restrict_fields(response: web.Response, fields: str) -> web.Response:
    """Apply WordPress's `_fields=a,b` to a JSON answer (top-level keys of each object)."""
    wanted = {f.strip() for f in fields.split(",") if f.strip()}
    if not wanted or response.text is None or response.status >= 400:
        return response
    body = json.loads(response.text)

    def keep(item: Any) -> Any:
        return {k: v for k, v in item.items() if k in wanted} if isinstance(item, dict) else item

    trimmed = [keep(i) for i in body] if isinstance(body, list) else keep(body)
    headers = {
        k: v for k, v in response.headers.items() if k.lower() not in ("content-type", "content-length")
    }
    return json_response(trimmed, response.status, headers)
