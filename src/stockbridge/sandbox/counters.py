"""Counters every emulator keeps, readable over `/_emulator/counters`.

Requests by operation, throttled requests, injected faults, webhooks sent / dropped / duplicated /
failed. Plain integers in one flat map, so that an audit or a benchmark can diff two snapshots.
"""

from __future__ import annotations

from collections import Counter


class Counters:
    """A flat map of named integer counters."""

    def __init__(self) -> None:
        self._values: Counter[str] = Counter()

    def inc(self, name: str, by: int = 1) -> None:
        self._values[name] += by

    def get(self, name: str) -> int:
        return self._values[name]

    def snapshot(self) -> dict[str, int]:
        return dict(sorted(self._values.items()))

    def reset(self) -> None:
        self._values.clear()
