"""What can go wrong talking to a platform, classified by what the caller should do.

    ConnectorError               base; carries connection, operation and (if any) HTTP status
    ├── TransientError           retry with backoff: 5xx, timeouts, connection resets
    │   └── RateLimitedError     retry after `retry_after_s` (429, Shopify THROTTLED, Retry-After)
    ├── AuthError                bad credentials or scopes: stop, fix the configuration
    └── PermanentError           the request itself is wrong (4xx, userErrors): dead-letter it
        └── RemoteNotFoundError  the remote object does not exist (deleted, never bound)

Retry decisions look at the type, never at the message. Messages never contain secrets.
"""

from __future__ import annotations

from typing import Any


class ConnectorError(Exception):
    retryable = False

    def __init__(
        self,
        message: str,
        *,
        connection: str = "",
        operation: str = "",
        status: int | None = None,
        **fields: Any,
    ) -> None:
        super().__init__(message)
        self.message, self.connection, self.operation, self.status = message, connection, operation, status
        self.fields = fields

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": type(self).__name__,
            "message": self.message,
            "connection": self.connection,
            "operation": self.operation,
            "status": self.status,
            **self.fields,
        }


class TransientError(ConnectorError):
    retryable = True


class RateLimitedError(TransientError):
    def __init__(self, message: str, *, retry_after_s: float, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after_s = retry_after_s


class AuthError(ConnectorError):
    pass


class PermanentError(ConnectorError):
    pass


class RemoteNotFoundError(PermanentError):
    pass
