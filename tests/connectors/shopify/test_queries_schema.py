"""Every GraphQL document the connector sends is valid against Shopify's real 2026-04 schema."""

from __future__ import annotations

import pytest
from graphql import FragmentDefinitionNode, GraphQLSchema, OperationDefinitionNode, parse, validate

from stockbridge.connectors.shopify import API_VERSION, queries
from stockbridge.sandbox.shopify.schema import load_schema


def real_schema() -> GraphQLSchema:
    """Shopify's own 2026-04 introspection SDL, vendored unchanged with the sandbox (identical to
    ../shared/reference/shopify/admin-2026-04.graphql), built once per process by `load_schema`."""
    return load_schema(API_VERSION)


def test_the_connector_has_documents_to_check() -> None:
    assert len(queries.ALL_DOCUMENTS) >= 9
    assert "SET_QUANTITIES_MUTATION" in queries.ALL_DOCUMENTS


@pytest.mark.parametrize("name", sorted(queries.ALL_DOCUMENTS))
def test_document_validates_against_the_real_schema(name: str) -> None:
    """Valid, including its fragments (each used, none undefined, their variables declared)."""
    document = parse(queries.ALL_DOCUMENTS[name])
    assert validate(real_schema(), document) == []
    [operation] = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    assert operation.name is not None
    fragments = [d.name.value for d in document.definitions if isinstance(d, FragmentDefinitionNode)]
    assert len(fragments) == len(set(fragments))


def test_the_validation_would_catch_a_field_shopify_does_not_have() -> None:
    broken = queries.LOCATIONS_QUERY.replace("isActive", "isOpen")
    errors = validate(real_schema(), parse(broken))
    assert errors and "isOpen" in errors[0].message


def test_the_write_carries_the_idempotent_directive_on_the_field() -> None:
    document = parse(queries.SET_QUANTITIES_MUTATION)
    [operation] = document.definitions
    assert isinstance(operation, OperationDefinitionNode)
    field = operation.selection_set.selections[0]
    assert [d.name.value for d in getattr(field, "directives", ())] == ["idempotent"]
