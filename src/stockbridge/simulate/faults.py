"""The seeded fault schedule, and the applier that carries it out.

`plan_faults` turns a scenario's fault windows and a seed into timed actions: switch a fault on
or off at an emulator (through `/_emulator/faults`, with a seed for the emulator's own dice),
take a warehouse offline and back (through the hub API), or SIGKILL hub processes at a seeded
moment and restart them (`kill_worker`: the sync and the inbound worker; `kill_api`: the API).
`FaultApplier` runs the actions at their moments; every action is counted by kind for the
report. Same seed, same schedule.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from stockbridge.simulate.scenarios import FaultWindow, Scenario

EMULATOR_FAULTS = {"channel_down", "throttle", "webhook_chaos", "server_errors"}


@dataclass(frozen=True)
class FaultAction:
    at_s: float
    kind: str
    target: str
    switch_on: bool
    settings: Mapping[str, Any] = field(default_factory=dict)


def _emulator_settings(window: FaultWindow, rng: random.Random) -> dict[str, Any]:
    switches: dict[str, dict[str, Any]] = {
        "channel_down": {"down": True},
        "throttle": {"hard_throttle": True},
        "webhook_chaos": {},
        "server_errors": {"error_rate": 0.2},
    }
    base = switches[window.kind]
    return {**base, **window.settings, "seed": rng.randrange(2**31)}


def _off_settings(kind: str) -> dict[str, Any]:
    switches: dict[str, dict[str, Any]] = {
        "channel_down": {"down": False},
        "throttle": {"hard_throttle": False},
        "webhook_chaos": {
            "webhook_duplicate_rate": 0.0,
            "webhook_drop_rate": 0.0,
            "webhook_reorder_rate": 0.0,
            "webhook_delay_ms": 0.0,
            "webhook_delay_rate": 0.0,
        },
        "server_errors": {"error_rate": 0.0},
    }
    return switches.get(kind, {})


def plan_faults(scenario: Scenario, seed: int) -> list[FaultAction]:
    rng = random.Random(f"faults:{scenario.name}:{seed}")
    end = scenario.duration_s
    actions: list[FaultAction] = []
    for window in scenario.faults:
        start_s, stop_s = round(window.start * end, 4), round(window.end * end, 4)
        if window.kind in ("kill_worker", "kill_api"):
            moments = sorted(round(rng.uniform(start_s, stop_s), 4) for _ in range(window.count))
            actions += [FaultAction(t, window.kind, window.target, True) for t in moments]
            continue
        on = _emulator_settings(window, rng) if window.kind in EMULATOR_FAULTS else {}
        actions.append(FaultAction(start_s, window.kind, window.target, True, on))
        if window.end < 1.0 or window.kind not in EMULATOR_FAULTS:
            actions.append(FaultAction(stop_s, window.kind, window.target, False, _off_settings(window.kind)))
    return sorted(actions, key=lambda a: (a.at_s, a.kind, a.target))


def final_resets(actions: Sequence[FaultAction]) -> list[FaultAction]:
    """Switch off what is still on when trading ends (chaos that lasts the whole run)."""
    on = {(a.kind, a.target) for a in actions if a.switch_on and a.kind in EMULATOR_FAULTS}
    off = {(a.kind, a.target) for a in actions if not a.switch_on}
    return [FaultAction(0.0, k, t, False, _off_settings(k)) for k, t in sorted(on - off)]


KillHook = Callable[[str], Awaitable[None]]  # "worker" (both workers) or "api": kill, start again
LocationHook = Callable[[str, bool], Awaitable[None]]


class FaultApplier:
    def __init__(
        self,
        emulator_urls: Mapping[str, str],
        session: aiohttp.ClientSession,
        kill_and_restart: KillHook,
        set_location_online: LocationHook,
        monotonic: Callable[[], float],
    ) -> None:
        self.urls, self.session = emulator_urls, session
        self.kill_and_restart, self.set_location_online = kill_and_restart, set_location_online
        self.monotonic = monotonic
        self.injected: Counter[str] = Counter()

    async def run(self, actions: Sequence[FaultAction], start: float, stop: asyncio.Event) -> None:
        for action in actions:
            wait = start + action.at_s - self.monotonic()
            if wait > 0:
                try:
                    await asyncio.wait_for(stop.wait(), timeout=wait)
                    return
                except TimeoutError:
                    pass
            await self.apply(action)

    async def apply(self, action: FaultAction) -> None:
        if action.switch_on:
            self.injected[action.kind] += 1
        if action.kind in EMULATOR_FAULTS:
            url = self.urls[action.target] + "/_emulator/faults"
            async with self.session.post(url, json=dict(action.settings)) as answer:
                answer.raise_for_status()
        elif action.kind == "location_offline":
            await self.set_location_online(action.target, not action.switch_on)
        elif action.kind == "kill_worker":
            await self.kill_and_restart("worker")
        elif action.kind == "kill_api":
            await self.kill_and_restart("api")
