"""The scripted day of `stockbridge demo`: a small catalog (two warehouses, a case unit, a bundle,
two channels with different rules) and a day of stock events, reservations and random orders,
driven by a `FrozenClock` so that holds expire in milliseconds instead of minutes.

Every event and reservation has a fixed idempotency key, so running the day twice against the
same database changes nothing the second time.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from stockbridge.domain.clock import FrozenClock
from stockbridge.errors import ConflictError, InsufficientStockError
from stockbridge.services.context import HubContext
from stockbridge.services.ingest import ingest_events
from stockbridge.services.reservations import (
    ReserveLine,
    ReserveRequest,
    commit_reservation,
    expire_due,
    release_reservation,
    reserve,
)

DEMO_CATALOG: dict[str, Any] = {
    "locations": [
        {"code": "WH-EAST", "name": "East warehouse", "external_codes": {"erp": "01"}},
        {"code": "WH-WEST", "name": "West warehouse", "external_codes": {"erp": "02"}},
    ],
    "skus": [
        {
            "code": "TEE-BLUE-M",
            "title": "Blue tee, M",
            "product": "tee",
            "units": [{"name": "case", "factor": 12}],
            "aliases": {"erp": ["AB-12"], "marketplace": ["ab12-blue"]},
        },
        {"code": "MUG-WHITE", "title": "White mug", "units": [{"name": "case", "factor": 6}]},
        {"code": "CAP-RED", "title": "Red cap"},
        {
            "code": "GIFT-SET",
            "title": "Gift set: a tee and two mugs",
            "components": {"TEE-BLUE-M": 1, "MUG-WHITE": 2},
        },
    ],
    "channels": [
        {
            "code": "webshop",
            "name": "Web shop",
            "platform": "shopify",
            "locations": ["WH-EAST", "WH-WEST"],
            "rules": {"buffer": 2},
        },
        {
            "code": "marketplace",
            "name": "Marketplace",
            "platform": "amazon",
            "locations": ["WH-EAST"],
            "rules": {"buffer": 1, "share_percent": 50, "max_quantity": 20, "stop_below": 3},
        },
    ],
    "listings": [
        *({"channel": "webshop", "sku": s} for s in ("TEE-BLUE-M", "MUG-WHITE", "CAP-RED", "GIFT-SET")),
        *({"channel": "marketplace", "sku": s} for s in ("TEE-BLUE-M", "MUG-WHITE", "GIFT-SET")),
    ],
}
EXPLAINED_LISTING = ("marketplace", "TEE-BLUE-M")
SELLABLE = [(c["channel"], c["sku"]) for c in DEMO_CATALOG["listings"]]


def _event(key: str, type_: str, sku: str, location: str, quantity: int | str, **more: Any) -> dict[str, Any]:
    return {
        "idempotency_key": f"demo:{key}",
        "source": "demo",
        "type": type_,
        "sku": sku,
        "location": location,
        "quantity": quantity,
        **more,
    }


# (minute of the day, what, events); the day starts at 08:00.
SCRIPTED_EVENTS: list[tuple[int, str, list[dict[str, Any]]]] = [
    (
        0,
        "goods received (cases and units)",
        [
            _event("po-1", "receipt", "TEE-BLUE-M", "WH-EAST", 8, unit="case"),
            _event("po-2", "receipt", "TEE-BLUE-M", "WH-WEST", 2, unit="case"),
            _event("po-3", "receipt", "MUG-WHITE", "WH-EAST", 10, unit="case"),
            _event("po-4", "receipt", "MUG-WHITE", "WH-WEST", 30),
            _event("po-5", "receipt", "CAP-RED", "WH-EAST", 30),
        ],
    ),
    (
        5,
        "the ERP re-sends a receipt (duplicate) using its own codes",
        [
            _event("po-1", "receipt", "TEE-BLUE-M", "WH-EAST", 8, unit="case"),
            _event("erp-77", "receipt", "AB-12", "02", 6, connection="erp"),
        ],
    ),
    (
        60,
        "direct sales, one of them a bundle",
        [
            _event("order-1001", "sale", "TEE-BLUE-M", "WH-EAST", 3, reference="order 1001"),
            _event("order-1002", "sale", "GIFT-SET", "WH-EAST", 2, reference="order 1002"),
        ],
    ),
    (180, "picking and shipping of order 1001", [_event("ship-1001", "fulfil", "TEE-BLUE-M", "WH-EAST", 3)]),
    (
        240,
        "transfer of a case east to west",
        [
            _event(
                "tr-1-out", "transfer_out", "TEE-BLUE-M", "WH-EAST", 1, unit="case", to_location="WH-WEST"
            ),
        ],
    ),
    (360, "transfer arrives", [_event("tr-1-in", "transfer_in", "TEE-BLUE-M", "WH-WEST", 12)]),
    (
        420,
        "a customer returns a broken mug",
        [
            _event("rma-1", "return", "MUG-WHITE", "WH-WEST", 1, disposition="damaged"),
        ],
    ),
    (480, "cycle count of caps finds 28", [_event("count-1", "count", "CAP-RED", "WH-EAST", 28)]),
    (
        540,
        "a feed with a bad row: unknown SKU (quarantined) next to a good one",
        [
            _event("feed-1", "receipt", "TEE-GREEN-XL", "WH-EAST", 10),
            _event("feed-2", "receipt", "CAP-RED", "WH-WEST", 10),
        ],
    ),
]


@dataclass(frozen=True)
class Step:
    minute: int
    label: str
    run: Callable[[], str]


class DemoDay:
    """Runs the scripted day against `ctx`, moving `clock` to each step's time."""

    def __init__(self, ctx: HubContext, clock: FrozenClock, *, seed: int, orders: int) -> None:
        self.ctx, self.clock, self.start = ctx, clock, clock.now()
        self.rng, self.orders, self.seed = random.Random(seed), orders, seed
        self.carts: dict[str, str] = {}
        self.log: list[tuple[datetime, str, str]] = []
        self.steps = self._plan()

    def _plan(self) -> list[Step]:
        steps = [Step(m, label, partial(self._ingest, events)) for m, label, events in SCRIPTED_EVENTS]
        steps += self._scripted_reservations() + self._random_orders()
        steps += [Step(m, "expiry sweeper", self._sweep) for m in (*range(90, 600, 60), 620)]
        return sorted(steps, key=lambda s: s.minute)

    def run(self, on_step: Callable[[], None] = lambda: None) -> None:
        for step in self.steps:
            self.clock.set(self.start + timedelta(minutes=step.minute))
            self.log.append((self.clock.now(), step.label, step.run()))
            on_step()

    def _ingest(self, events: list[dict[str, Any]]) -> str:
        report = ingest_events(self.ctx, events, source="demo")
        return ", ".join(f"{n} {status}" for status, n in report.summary().items() if n)

    def _scripted_reservations(self) -> list[Step]:
        return [
            Step(
                90,
                "cart 1 holds 2 tees on the web shop (15 min)",
                lambda: self._hold("cart-1", "webshop", "TEE-BLUE-M", 2),
            ),
            Step(
                95,
                "cart 2 holds 4 mugs at WH-EAST",
                lambda: self._hold("cart-2", "webshop", "MUG-WHITE", 4, "WH-EAST"),
            ),
            Step(
                100,
                "cart 3 holds a gift set on the marketplace (10 min)",
                lambda: self._hold("cart-3", "marketplace", "GIFT-SET", 1, ttl_s=600),
            ),
            Step(101, "cart 1 checks out (commit)", lambda: self._finish("cart-1", commit=True)),
            Step(102, "cart 2 is abandoned (release)", lambda: self._finish("cart-2", commit=False)),
            Step(
                103,
                "cart 4 wants 500 tees: refused, never oversold",
                lambda: self._hold("cart-4", "webshop", "TEE-BLUE-M", 500),
            ),
        ]

    def _random_orders(self) -> list[Step]:
        steps = []
        for n in range(self.orders):
            channel, sku = self.rng.choice(SELLABLE)
            qty, minute = self.rng.randint(1, 3), self.rng.randint(120, 560)
            cart = f"s{self.seed}-order-{n}"
            steps.append(
                Step(
                    minute,
                    f"order {n}: {qty} x {sku} on {channel}",
                    partial(self._hold, cart, channel, sku, qty),
                )
            )
            fate = self.rng.random()
            if fate < 0.85:  # the rest are left to expire
                steps.append(
                    Step(
                        minute + self.rng.randint(1, 14),
                        f"order {n} {'paid' if fate < 0.7 else 'cancelled'}",
                        partial(self._finish, cart, commit=fate < 0.7),
                    )
                )
        return steps

    def _hold(
        self, cart: str, channel: str, sku: str, qty: int, location: str | None = None, ttl_s: int = 900
    ) -> str:
        request = ReserveRequest(f"demo:{cart}", [ReserveLine(sku, qty, location)], ttl_s, channel=channel)
        try:
            view = reserve(self.ctx, request)
        except InsufficientStockError as error:
            return f"refused, would oversell: {error.message}"
        self.carts[cart] = view.id
        where = ", ".join(dict.fromkeys(line["location"] for line in view.lines))
        return f"held at {where} until {view.expires_at:%H:%M}"

    def _finish(self, cart: str, *, commit: bool) -> str:
        if cart not in self.carts:
            return "skipped: its hold was refused"
        try:
            view = (commit_reservation if commit else release_reservation)(self.ctx, self.carts[cart])
        except ConflictError as error:  # paid or cancelled too late: the hold had expired
            return f"expired before: {error.message}"
        return view.status

    def _sweep(self) -> str:
        return f"{expire_due(self.ctx)} reservation(s) expired"
