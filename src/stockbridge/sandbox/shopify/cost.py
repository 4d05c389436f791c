"""Shopify's calculated query cost and the leaky bucket that meters it.

Cost rules (fitted to the recorded 2026-04 responses, see platform-apis.md §1.9): scalars and
enums 0, objects 1, a mutation field 10 with the objects directly in its payload included, and a
connection 2 + m × cost of one node. For `requestedQueryCost` the multiplier m grows sub-linearly
with the page size: Shopify charged m = 1, 3, 4 for `first` = 1, 5, 10 in the captures and m = 11
for 250 in a public report; between those points m is interpolated on log(page size).
`actualQueryCost` walks the same selections over the data that came back (null objects cost
nothing; connections count the nodes returned). Lists of objects count once.
The bucket restores `restore_rate` points per second up to `capacity`, read from an injected clock.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    is_leaf_type,
    value_from_ast_untyped,
)

from stockbridge.domain.clock import Clock

MUTATION_COST = 10
MAX_SINGLE_QUERY_COST = 1000


@dataclass
class CostWalker:
    """Computes requested (data=None) or actual (data given) cost of one operation."""

    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variables: dict[str, Any]
    actual: bool

    def operation(self, op: OperationDefinitionNode, data: dict[str, Any] | None) -> int:
        is_mutation = op.operation.value == "mutation"
        root = self.schema.mutation_type if is_mutation else self.schema.query_type
        if root is None:
            return 0
        total = 0
        for node, parent in self._fields(op.selection_set, root):
            value = self._child(data, node)
            if is_mutation:
                total += MUTATION_COST + self._payload(node, parent, value)
            else:
                total += self._field(node, parent, value)
        return total

    def _payload(self, node: FieldNode, parent: GraphQLObjectType, value: Any) -> int:
        """Objects directly inside a mutation payload are part of the mutation's flat cost."""
        field = parent.fields.get(node.name.value)
        if field is None or node.selection_set is None:
            return 0
        payload_type = get_named_type(field.type)
        if not isinstance(payload_type, GraphQLObjectType):
            return 0
        total = 0
        for child, child_parent in self._fields(node.selection_set, payload_type):
            total += self._field(child, child_parent, self._child(value, child), own=0)
        return total

    def _field(self, node: FieldNode, parent: GraphQLObjectType, value: Any, own: int = 1) -> int:
        field = parent.fields.get(node.name.value)
        if field is None or node.selection_set is None:
            return 0
        named = get_named_type(field.type)
        if is_leaf_type(named) or (self.actual and value is None):
            return 0
        if named.name.endswith("Connection"):
            return self._connection(node, named, value)
        if isinstance(value, list):
            value = value[0] if value else None
            if self.actual and value is None:
                return own
        return own + self._children(node.selection_set, named, value)

    def _connection(self, node: FieldNode, conn_type: Any, value: Any) -> int:
        if self.actual:
            pages = [value.get(k) or [] for k in ("edges", "nodes")] if isinstance(value, dict) else []
            count = max((len(p) for p in pages), default=0)
        else:
            count = requested_multiplier(self._page_size(node))
        per_node = 0
        for child, child_parent in self._fields(node.selection_set, conn_type):
            name = child.name.value
            if name == "nodes":
                per_node += self._field(child, child_parent, self._first(value, child))
            elif name == "edges" and child.selection_set is not None:
                edge_type = get_named_type(child_parent.fields["edges"].type)
                edge_value = self._first(value, child)
                for edge_child, edge_parent in self._fields(child.selection_set, edge_type):
                    if edge_child.name.value == "node":
                        per_node += self._field(edge_child, edge_parent, self._child(edge_value, edge_child))
        return 2 + count * per_node

    def _page_size(self, node: FieldNode) -> int:
        for arg in node.arguments or ():
            if arg.name.value in ("first", "last"):
                size = value_from_ast_untyped(arg.value, self.variables)
                return size if isinstance(size, int) else 0
        return 0

    def _children(self, selection_set: SelectionSetNode, parent: Any, value: Any) -> int:
        if not isinstance(parent, GraphQLObjectType):
            parent = _first_object(self.schema, parent)
            if parent is None:
                return 0
        total = 0
        for child, child_parent in self._fields(selection_set, parent):
            total += self._field(child, child_parent, self._child(value, child))
        return total

    def _first(self, value: Any, node: FieldNode) -> Any:
        items = self._child(value, node)
        if isinstance(items, list):
            return items[0] if items else None
        return None if self.actual else {}

    @staticmethod
    def _child(value: Any, node: FieldNode) -> Any:
        if not isinstance(value, dict):
            return None
        key = node.alias.value if node.alias else node.name.value
        return value.get(key)

    def _fields(self, selection_set: SelectionSetNode | None, parent: Any) -> list[tuple[FieldNode, Any]]:
        """Flatten fragments; each field is paired with the type it is selected on."""
        found: list[tuple[FieldNode, Any]] = []
        if selection_set is None:
            return found
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                if not sel.name.value.startswith("__"):
                    found.append((sel, parent))
            elif isinstance(sel, InlineFragmentNode):
                cond = self.schema.get_type(sel.type_condition.name.value) if sel.type_condition else parent
                found.extend(self._fields(sel.selection_set, _object_or(cond, parent)))
            elif isinstance(sel, FragmentSpreadNode) and sel.name.value in self.fragments:
                frag = self.fragments[sel.name.value]
                cond = self.schema.get_type(frag.type_condition.name.value)
                found.extend(self._fields(frag.selection_set, _object_or(cond, parent)))
        return [(f, p) for f, p in found if isinstance(p, GraphQLObjectType) or hasattr(p, "fields")]


# (page size, multiplier) points observed from Shopify; see the module docstring.
_MULTIPLIER_POINTS = ((1, 1.0), (5, 3.0), (10, 4.0), (250, 11.0))


def requested_multiplier(page_size: int) -> int:
    """How many nodes Shopify's requested cost charges for a page of `page_size`."""
    if page_size <= 0:
        return 0
    points = _MULTIPLIER_POINTS
    if page_size >= points[-1][0]:
        return int(points[-1][1])
    for (low_n, low_m), (high_n, high_m) in itertools.pairwise(points):
        if low_n <= page_size <= high_n:
            share = (math.log(page_size) - math.log(low_n)) / (math.log(high_n) - math.log(low_n))
            return math.ceil(round(low_m + share * (high_m - low_m), 6))
    return 1


def _object_or(candidate: Any, fallback: Any) -> Any:
    return candidate if candidate is not None and hasattr(candidate, "fields") else fallback


def _first_object(schema: GraphQLSchema, abstract: Any) -> GraphQLObjectType | None:
    if hasattr(abstract, "fields"):
        return abstract  # type: ignore[no-any-return]
    possible = schema.get_possible_types(abstract) if abstract is not None else []
    return possible[0] if possible else None


class LeakyBucket:
    """Cost points available now; refills at `restore_rate` per second up to `capacity`."""

    def __init__(self, clock: Clock, capacity: int = 2000, restore_rate: int = 100) -> None:
        self.clock = clock
        self.capacity = capacity
        self.restore_rate = restore_rate
        self._level = float(capacity)
        self._at = clock.now().timestamp()

    def available(self) -> float:
        now = self.clock.now().timestamp()
        self._level = min(float(self.capacity), self._level + (now - self._at) * self.restore_rate)
        self._at = now
        return self._level

    def try_take(self, cost: int) -> bool:
        if self.available() + 1e-6 < cost:  # tolerate float drift of the clock arithmetic
            return False
        self._level -= cost
        return True

    def refund(self, points: int) -> None:
        self._level = min(float(self.capacity), self.available() + points)

    def drain(self) -> None:
        self.available()
        self._level = 0.0

    def status(self) -> dict[str, Any]:
        return {
            "maximumAvailable": self.capacity,
            "currentlyAvailable": int(self.available()),
            "restoreRate": self.restore_rate,
        }
