"""The real Shopify Admin GraphQL schemas the emulator validates against, built once per process.

The SDL files under `sdl/` are Shopify's public introspection for the pinned versions, vendored
unchanged. Requests to a date version the emulator does not carry fall forward to the oldest one it
supports, as Shopify does for removed versions.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from graphql import GraphQLSchema, build_schema

SUPPORTED_VERSIONS = ("2026-04", "2026-07")
VERSION_PATTERN = re.compile(r"^\d{4}-(01|04|07|10)$")


def resolve_version(requested: str) -> str | None:
    """The version that serves `requested`, or None when the path is not a Shopify version at all."""
    if requested in SUPPORTED_VERSIONS:
        return requested
    if requested == "unstable":
        return SUPPORTED_VERSIONS[-1]
    if not VERSION_PATTERN.match(requested) or requested > SUPPORTED_VERSIONS[-1]:
        return None
    return next(v for v in SUPPORTED_VERSIONS if v >= requested)


@lru_cache(maxsize=len(SUPPORTED_VERSIONS))
def load_schema(version: str) -> GraphQLSchema:
    """Build (once) the schema of a supported version from the vendored SDL."""
    if version not in SUPPORTED_VERSIONS:
        raise ValueError(f"unsupported Shopify API version: {version}")
    text = resources.files("stockbridge.sandbox.shopify.sdl").joinpath(f"admin-{version}.graphql")
    return build_schema(text.read_text(encoding="utf-8"), assume_valid=True)
