"""The HTTP edge: `create_app()` (REST + OpenAPI), routers, schemas and problem responses."""

from stockbridge.api.app import create_app

__all__ = ["create_app"]
