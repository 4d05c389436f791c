"""Connections: one link to one platform account (code, platform, the channel it feeds, base URL,
settings and secrets).

Secrets are stored (in the `secrets` column) so that a worker can build the connector, but they
are never returned by `get_`/`list_`, never part of a view's repr, and never logged: only
`load_connection_config` hands them out, wrapped in `SecretStr`. A channel is fed by at most one
connection, so "the pusher of a channel" and "the pusher of a connection" are the same thing.
Bindings (external id <-> internal id) live in `services.bindings`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import SecretStr

from stockbridge.errors import ConflictError, NotFoundError, ValidationError
from stockbridge.services.context import HubContext
from stockbridge.store.schema import channels
from stockbridge.store.schema_sync import connections

_UNSET: Any = object()


@dataclass(frozen=True)
class ConnectionSpec:
    """What to register. `secrets=None` on an update keeps the stored secrets."""

    code: str
    platform: str
    channel: str | None = None
    base_url: str = ""
    settings: Mapping[str, Any] = field(default_factory=dict)
    secrets: Mapping[str, str] | None = field(default=None, repr=False)
    enabled: bool = True


@dataclass(frozen=True)
class ConnectionView:
    """A connection as people and APIs see it: secret *names* only, never values."""

    id: int
    code: str
    platform: str
    channel: str | None
    channel_id: int | None
    base_url: str
    settings: dict[str, Any]
    secret_names: tuple[str, ...]
    enabled: bool
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "platform": self.platform,
            "channel": self.channel,
            "base_url": self.base_url,
            "settings": self.settings,
            "secrets": list(self.secret_names),
            "enabled": self.enabled,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class ConnectionConfig:
    """Everything a connector factory needs, secrets included (as `SecretStr`, safe to repr)."""

    view: ConnectionView
    secrets: Mapping[str, SecretStr] = field(repr=False)

    @property
    def code(self) -> str:
        return self.view.code

    @property
    def platform(self) -> str:
        return self.view.platform

    def secret(self, name: str) -> str:
        if name not in self.secrets:
            raise ValidationError(f"connection {self.code!r} has no secret {name!r}", field=f"secrets.{name}")
        return self.secrets[name].get_secret_value()


def register_connection(ctx: HubContext, spec: ConnectionSpec) -> ConnectionView:
    """Create the connection, or update it in place (same code)."""
    _validate(spec)

    def work(conn: sa.Connection) -> None:
        channel_id = _channel_id(conn, ctx, spec.channel) if spec.channel else None
        existing = _row(conn, ctx, spec.code)
        if channel_id is not None:
            _check_channel_free(conn, channel_id, spec, None if existing is None else int(existing.id))
        values: dict[str, Any] = {
            "platform": spec.platform,
            "channel_id": channel_id,
            "base_url": spec.base_url,
            "settings": dict(spec.settings),
            "enabled": spec.enabled,
        }
        if spec.secrets is not None:
            values["secrets"] = dict(spec.secrets)
        if existing is None:
            row = {"tenant_id": ctx.tenant_id, "code": spec.code, "created_at": ctx.clock.now()}
            conn.execute(sa.insert(connections), row | {"secrets": {}} | values)
        else:
            conn.execute(sa.update(connections).where(connections.c.id == existing.id).values(**values))

    ctx.write(work)
    return get_connection(ctx, spec.code)


def set_connection_enabled(ctx: HubContext, code: str, enabled: bool) -> ConnectionView:
    def work(conn: sa.Connection) -> None:
        row = _row(conn, ctx, code)
        if row is None:
            raise NotFoundError(f"no connection {code!r}", connection=code)
        conn.execute(sa.update(connections).where(connections.c.id == row.id).values(enabled=enabled))

    ctx.write(work)
    return get_connection(ctx, code)


def find_connection(ctx: HubContext, code: str) -> ConnectionView | None:
    with ctx.read() as conn:
        row = _row(conn, ctx, code)
        return None if row is None else _view(row)


def get_connection(ctx: HubContext, code: str) -> ConnectionView:
    found = find_connection(ctx, code)
    if found is None:
        raise NotFoundError(f"no connection {code!r}", connection=code)
    return found


def list_connections(ctx: HubContext, *, enabled_only: bool = False) -> list[ConnectionView]:
    query = _select(ctx).order_by(connections.c.code)
    if enabled_only:
        query = query.where(connections.c.enabled.is_(True))
    with ctx.read() as conn:
        return [_view(r) for r in conn.execute(query)]


def load_connection_config(ctx: HubContext, code: str) -> ConnectionConfig:
    """The connection with its secrets, for building a connector; never print this."""
    with ctx.read() as conn:
        row = _row(conn, ctx, code)
    if row is None:
        raise NotFoundError(f"no connection {code!r}", connection=code)
    secrets = {str(k): SecretStr(str(v)) for k, v in (row.secrets or {}).items()}
    return ConnectionConfig(_view(row), secrets)


def _validate(spec: ConnectionSpec) -> None:
    if not spec.code.strip():
        raise ValidationError("code is required", field="code")
    if not spec.platform.strip():
        raise ValidationError("platform is required", field="platform")
    for name, value in (spec.secrets or {}).items():
        if not isinstance(value, str):
            raise ValidationError("secret values must be strings", field=f"secrets.{name}")


def _select(ctx: HubContext) -> sa.Select[Any]:
    return (
        sa.select(connections, channels.c.code.label("channel_code"))
        .outerjoin(channels, channels.c.id == connections.c.channel_id)
        .where(connections.c.tenant_id == ctx.tenant_id)
    )


def _row(conn: sa.Connection, ctx: HubContext, code: str) -> Any:
    return conn.execute(_select(ctx).where(connections.c.code == code)).first()


def _view(row: Any) -> ConnectionView:
    return ConnectionView(
        id=int(row.id),
        code=row.code,
        platform=row.platform,
        channel=row.channel_code,
        channel_id=None if row.channel_id is None else int(row.channel_id),
        base_url=row.base_url,
        settings=dict(row.settings or {}),
        secret_names=tuple(sorted((row.secrets or {}).keys())),
        enabled=bool(row.enabled),
        created_at=row.created_at,
    )


def _channel_id(conn: sa.Connection, ctx: HubContext, code: str) -> int:
    found = conn.scalar(
        sa.select(channels.c.id).where(channels.c.tenant_id == ctx.tenant_id, channels.c.code == code)
    )
    if found is None:
        raise NotFoundError(f"no channel {code!r}", field="channel", channel=code)
    return int(found)


def _check_channel_free(
    conn: sa.Connection, channel_id: int, spec: ConnectionSpec, own_id: int | None
) -> None:
    other = conn.scalar(
        sa.select(connections.c.code).where(
            connections.c.channel_id == channel_id,
            connections.c.id != (own_id if own_id is not None else -1),
        )
    )
    if other is not None:
        raise ConflictError(
            f"channel {spec.channel!r} is already fed by connection {other!r}",
            channel=spec.channel,
            connection=other,
        )
