"""A circuit breaker per channel: stop calling a platform that keeps failing, probe it after a pause.

    closed     calls flow; `failure_threshold` consecutive failures open it
    open       no calls until `cool_down_s` has passed on the injected clock
    half_open  one probe call is let through: success closes, failure re-opens (a new cool-down)

Only failures of the channel itself count (transient errors that outlived their retries, auth
errors); a request the platform refuses as wrong is the request's fault, not the channel's.
`BreakerBoard` keeps one per channel (named by the channel code).

Visibility and persistence: `on_change(name, state)` hears every transition (the worker's live
gauge in `sync.metrics`); a `BreakerStore` on the board (`sync.breaker_store.DbBreakerStore` in
the worker) is handed a snapshot whenever the state or the consecutive-failure count changes
(never on a success that changes nothing), and is read when a breaker is first used, so a
restarted worker resumes an open breaker's cool-down from when it opened instead of hammering a
channel that was failing a moment ago. The last error is kept short and scrubbed of anything that
looks like a credential.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal, Protocol

from stockbridge.domain.clock import Clock

logger = logging.getLogger(__name__)

BreakerState = Literal["closed", "open", "half_open"]
STATE_VALUES: dict[BreakerState, int] = {"closed": 0, "half_open": 1, "open": 2}
BREAKER_STATES: tuple[BreakerState, ...] = ("closed", "half_open", "open")
LAST_ERROR_MAX = 500
_SCHEME = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
_CREDENTIAL = re.compile(
    r"(?i)\b(authorization|[a-z_-]*token|[a-z_-]*key|[a-z_-]*secret|password|passwd|signature)"
    r"(\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|[^\s&,;]+)"
)
_URL_USERINFO = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://)[^/\s@]+@")


@dataclass(frozen=True)
class BreakerSnapshot:
    name: str
    state: BreakerState
    consecutive_failures: int
    opened_at: datetime | None
    retry_at: datetime | None
    since: datetime | None = None  # when it entered `state` (None: never left the initial closed)
    last_error: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "state": self.state,
            "consecutive_failures": self.consecutive_failures,
            "opened_at": _iso(self.opened_at),
            "retry_at": _iso(self.retry_at),
            "since": _iso(self.since),
            "last_error": self.last_error,
        }


class BreakerStore(Protocol):
    """Where a board keeps its breakers beyond the process (the database, in the worker)."""

    def load(self, name: str) -> BreakerSnapshot | None: ...

    def save(self, snapshot: BreakerSnapshot) -> None: ...


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        clock: Clock,
        *,
        failure_threshold: int = 5,
        cool_down_s: float = 30.0,
        on_change: Callable[[str, BreakerState], None] | None = None,
        on_record: Callable[[BreakerSnapshot], None] | None = None,
    ) -> None:
        if failure_threshold < 1 or cool_down_s < 0:
            raise ValueError("failure_threshold must be >= 1 and cool_down_s >= 0")
        self.name, self._clock = name, clock
        self.failure_threshold, self.cool_down_s = failure_threshold, cool_down_s
        self._on_change, self._on_record = on_change, on_record
        self._state: BreakerState = "closed"
        self._failures = 0
        self._opened_at: datetime | None = None
        self._since: datetime | None = None
        self._last_error: str | None = None
        self._probe_out = False

    @property
    def state(self) -> BreakerState:
        if self._state == "open" and self._cooled_down():
            self._set("half_open")
            self._record()
        return self._state

    def allow(self) -> bool:
        """May a call go out now? In half-open, only one probe until it reports back."""
        state = self.state
        if state == "closed":
            return True
        if state == "half_open" and not self._probe_out:
            self._probe_out = True
            return True
        return False

    def record_success(self) -> None:
        changed = self._state != "closed" or self._failures != 0
        self._failures, self._probe_out, self._opened_at = 0, False, None
        self._set("closed")
        if changed:
            self._record()

    def record_failure(self, error: BaseException | str | None = None) -> None:
        """Count a failure of the channel. Without `error`, the exception being handled (when
        called from an `except` block, as `CallGate` does) is kept as the last error."""
        self._failures += 1
        self._probe_out = False
        cause = error if error is not None else sys.exc_info()[1]
        if cause is not None:
            self._last_error = describe_error(cause)
        if self._state == "half_open" or self._failures >= self.failure_threshold:
            self._opened_at = self._clock.now()
            self._set("open", force_since=True)
        self._record()

    def resume(self, stored: BreakerSnapshot) -> None:
        """Take over a stored state (a restarted worker): an open breaker stays open until its
        cool-down, counted from when it opened, has passed; a half-open one lets one probe out."""
        now = self._clock.now()
        self._state, self._failures = stored.state, max(stored.consecutive_failures, 0)
        self._since, self._last_error, self._probe_out = stored.since, stored.last_error, False
        self._opened_at = None
        if stored.state == "open":
            opened = stored.opened_at or stored.since or now
            self._opened_at = min(opened, now)  # a clock ahead of ours never stretches the pause
        if self._state != "closed":
            logger.warning(
                "circuit breaker %s resumed %s (consecutive failures %d)",
                self.name,
                self._state,
                self._failures,
            )

    def snapshot(self) -> BreakerSnapshot:
        _ = self.state  # an open breaker whose cool-down passed is half-open now
        return self._snapshot()

    def _snapshot(self) -> BreakerSnapshot:
        retry_at = None
        if self._opened_at is not None and self._state == "open":
            retry_at = self._opened_at + timedelta(seconds=self.cool_down_s)
        return BreakerSnapshot(
            self.name,
            self._state,
            self._failures,
            self._opened_at,
            retry_at,
            self._since,
            self._last_error,
        )

    def _cooled_down(self) -> bool:
        if self._opened_at is None:
            return True
        return (self._clock.now() - self._opened_at).total_seconds() >= self.cool_down_s

    def _set(self, state: BreakerState, *, force_since: bool = False) -> None:
        if state == self._state:
            if force_since:  # re-opened while open: the cool-down starts again
                self._since = self._opened_at
            return
        log = logger.warning if state == "open" else logger.info
        log(
            "circuit breaker %s: %s -> %s (consecutive failures %d)",
            self.name,
            self._state,
            state,
            self._failures,
        )
        self._state = state
        self._since = self._opened_at if state == "open" else self._clock.now()
        if self._on_change is not None:
            self._on_change(self.name, state)

    def _record(self) -> None:
        if self._on_record is not None:
            self._on_record(self._snapshot())


class BreakerBoard:
    """One breaker per channel, created on first use with the same settings; with a `store`, a
    breaker starts from its stored state and every change of it is saved there."""

    def __init__(
        self,
        clock: Clock,
        *,
        failure_threshold: int = 5,
        cool_down_s: float = 30.0,
        on_change: Callable[[str, BreakerState], None] | None = None,
        store: BreakerStore | None = None,
    ) -> None:
        self._clock, self._threshold, self._cool_down = clock, failure_threshold, cool_down_s
        self._on_change, self._store = on_change, store
        self._breakers: dict[str, CircuitBreaker] = {}

    def get(self, name: str) -> CircuitBreaker:
        if name not in self._breakers:
            breaker = CircuitBreaker(
                name,
                self._clock,
                failure_threshold=self._threshold,
                cool_down_s=self._cool_down,
                on_change=self._on_change,
                on_record=None if self._store is None else self._store.save,
            )
            stored = None if self._store is None else self._store.load(name)
            if stored is not None:
                breaker.resume(replace(stored, name=name))
            self._breakers[name] = breaker
            if self._on_change is not None:
                self._on_change(name, breaker.state)
        return self._breakers[name]

    def snapshots(self) -> list[BreakerSnapshot]:
        return [b.snapshot() for _, b in sorted(self._breakers.items())]


def describe_error(error: BaseException | str) -> str:
    """`Type: message`, credentials masked, at most `LAST_ERROR_MAX` characters."""
    text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    text = _URL_USERINFO.sub(r"\1***@", text)
    text = _SCHEME.sub(lambda m: f"{m.group(1)} ***", text)
    text = _CREDENTIAL.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)
    text = " ".join(text.split())
    return text if len(text) <= LAST_ERROR_MAX else text[: LAST_ERROR_MAX - 1] + "…"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
