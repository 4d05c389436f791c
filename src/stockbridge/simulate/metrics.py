"""What the simulator reads from the hub workers' Prometheus endpoints, across worker restarts.

From the sync worker (`sync worker --metrics-port`): propagation, push calls, level changes and
the dirty backlog; from the inbound worker (`inbound run --metrics-port`): inbox rows by status.
A killed sync worker loses its in-memory histogram and counters, so the simulator scrapes before
every kill and at the end, and adds the scrapes up (`WorkerSamples`); the backlog and the inbox
rows are gauges read from the database at scrape time, so a restart loses nothing of them. Propagation quantiles are interpolated
linearly inside the histogram's buckets (so they are as fine as the buckets, no finer); the
maximum is the upper bound of the highest non-empty bucket.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from urllib.request import urlopen

from prometheus_client.parser import text_string_to_metric_families

PROPAGATION = "stockbridge_sync_propagation_seconds"
API_CALLS = "stockbridge_sync_api_calls"
LEVELS = "stockbridge_sync_levels"
INBOX_ROWS = "stockbridge_inbox_rows"


@dataclass
class WorkerSamples:
    buckets: Counter[float] = field(default_factory=Counter)  # cumulative count per upper bound
    api_calls: Counter[str] = field(default_factory=Counter)  # by outcome
    levels: Counter[str] = field(default_factory=Counter)  # level changes by channel:outcome

    def add(self, text: str, sign: int = 1) -> None:
        """Add one scrape (or take it away with `sign=-1`: a baseline taken before trading)."""
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == PROPAGATION + "_bucket":
                    self.buckets[float(sample.labels["le"])] += sign * int(sample.value)
                elif sample.name == API_CALLS + "_total":
                    self.api_calls[sample.labels.get("outcome", "")] += sign * int(sample.value)
                elif sample.name == LEVELS + "_total":
                    key = f"{sample.labels.get('channel', '')}:{sample.labels.get('outcome', '')}"
                    self.levels[key] += sign * int(sample.value)

    def quantiles_ms(self) -> dict[str, float | None]:
        return {
            "p50": quantile_ms(self.buckets, 0.50),
            "p95": quantile_ms(self.buckets, 0.95),
            "p99": quantile_ms(self.buckets, 0.99),
            "max": max_ms(self.buckets),
            "samples": float(self.buckets.get(math.inf, 0)),
        }


def scrape(url: str, timeout_s: float = 5.0) -> str:
    with urlopen(url, timeout=timeout_s) as answer:
        text: str = answer.read().decode()
        return text


def dirty_listings(text: str) -> int:
    total = 0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "stockbridge_sync_dirty_listings":
                total += int(sample.value)
    return total


def inbox_rows(text: str) -> dict[str, int]:
    """The inbound worker's inbox rows by status (statuses without rows are absent)."""
    rows: dict[str, int] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == INBOX_ROWS:
                rows[sample.labels.get("status", "")] = int(sample.value)
    return rows


def quantile_ms(buckets: Counter[float], q: float) -> float | None:
    bounds = sorted(buckets)
    total = buckets.get(math.inf, 0)
    if total <= 0:
        return None
    rank, lower, below = q * total, 0.0, 0
    for bound in bounds:
        count = buckets[bound]
        if count >= rank:
            if math.isinf(bound):
                return round(lower * 1000, 1)
            share = (rank - below) / (count - below) if count > below else 1.0
            return round((lower + (bound - lower) * share) * 1000, 1)
        lower, below = bound, count
    return None


def max_ms(buckets: Counter[float]) -> float | None:
    bounds = sorted(buckets)
    total = buckets.get(math.inf, 0)
    if total <= 0:
        return None
    for bound in bounds:
        if buckets[bound] >= total:
            return round((bounds[bounds.index(bound) - 1] if math.isinf(bound) else bound) * 1000, 1)
    return None
