"""`POST /admin/api/{version}/graphql.json`: auth, parse, validate, cost, throttle, execute.

The request pipeline of the Shopify emulator, in Shopify's order: unknown version 404, bad token
401, missing query 400; then parse and validate against the real schema of the served version
(errors answer 200 with `errors`), compute the requested cost, refuse over 1000 points
(`MAX_COST_EXCEEDED`) or when the leaky bucket is short (`THROTTLED`, no `data`), execute with the
resolver table, refund the difference to the actual cost, and attach `extensions.cost`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from aiohttp import web
from graphql import (
    DocumentNode,
    ExecutionResult,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    execute,
    get_operation_ast,
    parse,
    print_ast,
    validate,
)

from stockbridge.sandbox.shopify import (  # noqa: F401  (each registers its resolvers)
    activation,
    fulfillments,
    inventory,
    inventory_moves,
    order_reads,
    queries,
    subscriptions,
)
from stockbridge.sandbox.shopify.cost import MAX_SINGLE_QUERY_COST, CostWalker
from stockbridge.sandbox.shopify.resolvers import RequestContext, resolve_field, resolve_type
from stockbridge.sandbox.shopify.schema import load_schema, resolve_version
from stockbridge.sandbox.shopify.wire_errors import execution_errors, is_variable_error, validation_error

if TYPE_CHECKING:
    from stockbridge.sandbox.shopify.emulator import ShopifyEmulator

INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
RATE_LIMIT_DOCS = "https://shopify.dev/api/usage/rate-limits"


@dataclass(frozen=True)
class ParsedRequest:
    document: DocumentNode
    operation: OperationDefinitionNode
    variables: dict[str, Any]
    operation_name: str | None


class GraphQLEndpoint:
    """The aiohttp handler for one Shopify emulator."""

    def __init__(self, emulator: ShopifyEmulator) -> None:
        self.emu = emulator

    async def handle(self, request: web.Request) -> web.Response:
        version = resolve_version(request.match_info["version"])
        if version is None:
            return web.json_response({"errors": "Not Found"}, status=404)
        if request.headers.get("X-Shopify-Access-Token") not in self.emu.access_tokens:
            self.emu.counters.inc("shopify_unauthorized")
            return web.json_response({"errors": INVALID_TOKEN}, status=401)
        try:
            body = json.loads(await request.read() or b"null")
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return web.json_response(
                {"errors": {"query": "Required parameter missing or invalid"}}, status=400
            )
        result = self.run(version, body)
        return web.json_response(result, headers={"X-Shopify-API-Version": version})

    def run(self, version: str, body: dict[str, Any]) -> dict[str, Any]:
        document, problems = checked_document(version, body["query"])
        if document is None:
            return {"errors": problems}
        operation = get_operation_ast(document, body.get("operationName"))
        if operation is None:
            return {
                "errors": [
                    {"message": "An operation name is required", "extensions": {"code": "BAD_REQUEST"}}
                ]
            }
        variables = body.get("variables") or {}
        parsed = ParsedRequest(document, operation, variables, body.get("operationName"))
        self._count(operation)
        return self._metered(version, parsed)

    def _metered(self, version: str, req: ParsedRequest) -> dict[str, Any]:
        schema = load_schema(version)
        fragments = {
            d.name.value: d for d in req.document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        requested = CostWalker(schema, fragments, req.variables, actual=False).operation(req.operation, None)
        if requested > MAX_SINGLE_QUERY_COST:
            return self._refused(requested, _max_cost_error(requested))
        if self.emu.faults.settings.hard_throttle or not self.emu.bucket.try_take(requested):
            self.emu.counters.inc("shopify_throttled")
            throttled = {
                "message": "Throttled",
                "extensions": {"code": "THROTTLED", "documentation": RATE_LIMIT_DOCS},
            }
            return self._refused(requested, throttled)
        result = self._execute(version, req)
        actual = CostWalker(schema, fragments, req.variables, actual=True).operation(
            req.operation, result.data
        )
        self.emu.bucket.refund(max(requested - actual, 0))
        return self._response(req, result, requested, actual)

    def _refused(self, requested: int, error: dict[str, Any]) -> dict[str, Any]:
        """Answers that execute nothing: no `data`, and `actualQueryCost` null."""
        return {"errors": [error], "extensions": self._cost(requested, None)}

    def _execute(self, version: str, req: ParsedRequest) -> ExecutionResult:
        context = RequestContext(self.emu.store, version, self.emu.idempotency, self.emu.webhooks)
        outcome = execute(
            load_schema(version),
            req.document,
            context_value=context,
            variable_values=req.variables,
            operation_name=req.operation_name,
            field_resolver=resolve_field,
            type_resolver=resolve_type,
        )
        assert isinstance(outcome, ExecutionResult)
        return outcome

    def _response(
        self, req: ParsedRequest, result: ExecutionResult, requested: int, actual: int
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        raw = list(result.errors or [])
        var_types = {
            d.variable.name.value: print_ast(d.type) for d in req.operation.variable_definitions or ()
        }
        errors = execution_errors(raw, var_types, req.variables)
        coercion_failed = any(is_variable_error(e) for e in raw)
        too_big = any(e.get("extensions", {}).get("code") == "MAX_INPUT_SIZE_EXCEEDED" for e in errors)
        if not (coercion_failed or too_big):
            out["data"] = result.data
        if errors:
            out["errors"] = errors
        if not coercion_failed:
            out["extensions"] = self._cost(requested, actual)
        return out

    def _cost(self, requested: int, actual: int | None) -> dict[str, Any]:
        return {
            "cost": {
                "requestedQueryCost": requested,
                "actualQueryCost": actual,
                "throttleStatus": self.emu.bucket.status(),
            }
        }

    def _count(self, operation: OperationDefinitionNode) -> None:
        kind = operation.operation.value
        for selection in operation.selection_set.selections:
            name = getattr(getattr(selection, "name", None), "value", "fragment")
            self.emu.counters.inc(f"graphql_{kind}:{name}")


def _max_cost_error(requested: int) -> dict[str, Any]:
    message = (
        f"Query cost is {requested}, which exceeds the single query max cost limit ({MAX_SINGLE_QUERY_COST})."
    )
    extensions = {"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": MAX_SINGLE_QUERY_COST}
    return {"message": message, "extensions": extensions}


@lru_cache(maxsize=512)
def checked_document(version: str, query: str) -> tuple[DocumentNode | None, list[dict[str, Any]]]:
    """Parse and validate once per distinct document: clients resend the same few documents."""
    try:
        document = parse(query)
    except GraphQLError as exc:
        return None, [{**exc.formatted, "extensions": {"code": "syntaxError"}}]
    errors = validate(load_schema(version), document)
    if errors:
        return None, [validation_error(e) for e in errors]
    return document, []
