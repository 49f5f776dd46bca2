"""Chain notifications of the stand-in node: an ordered queue of chain events delivered by one task.

Mirrors what bitcoin-node does with a client's ``ChainNotifications`` (measured on the pr29409 node, see
``docs/ARCHITECTURE.md``): every chain change appends events (``connected``/``disconnected`` per block,
``tip`` where the node signals ``updatedBlockTip``) to one queue; one task, the stand-in's "scheduler",
delivers them in order, after the call that changed the chain has returned. Each event goes to every active
registration, in registration order, before the next event. ``wait_delivered`` returns once everything
queued before it was called has been delivered (``Chain.waitForNotifications``).

A registration whose callback fails (its client has gone) is dropped; delivery goes on with the others and
never raises. How an event becomes a Cap'n Proto call is the registration's business (`serve_notifications`).

Pure asyncio; imports of ours: ``standin.chain`` only.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bitcoin_rpc_mp.standin.chain import ChainEvent

log = logging.getLogger("bitcoin_rpc_mp.standin")


@dataclass(eq=False)
class Registration:
    """One ``handleNotifications`` registration: ``deliver`` sends one event to the client."""

    owner: object  # the client connection it belongs to
    deliver: Callable[[ChainEvent], Awaitable[None]]
    active: bool = True


class NotificationHub:
    def __init__(self) -> None:
        self._queue: deque[ChainEvent] = deque()
        self._registrations: list[Registration] = []
        self._queued = 0
        self._delivered = 0
        self._progress = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None

    @property
    def registrations(self) -> list[Registration]:
        return [r for r in self._registrations if r.active]

    def register(self, registration: Registration) -> None:
        self._registrations.append(registration)

    def unregister(self, registration: Registration) -> None:
        """After this no event is delivered to ``registration`` (one already being delivered completes)."""
        registration.active = False
        if registration in self._registrations:
            self._registrations.remove(registration)

    def drop_owner(self, owner: object) -> None:
        """A client connection closed: forget its registrations."""
        for registration in list(self._registrations):
            if registration.owner is owner:
                self.unregister(registration)

    def publish(self, events: list[ChainEvent]) -> None:
        """Queue ``events`` for delivery; returns at once (delivery runs as a task of its own)."""
        if not events:
            return
        self._queued += len(events)
        if not self._queue and not self.registrations:  # nobody to tell: delivered at once
            self._delivered += len(events)
            return
        self._queue.extend(events)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def wait_delivered(self) -> None:
        """Return once every event queued before this call has been delivered."""
        target = self._queued
        async with self._progress:
            await self._progress.wait_for(lambda: self._delivered >= target)

    async def aclose(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while self._queue:
            event = self._queue.popleft()
            for registration in list(self._registrations):
                if not registration.active:
                    continue
                try:
                    await registration.deliver(event)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # the client has gone or refused: stop notifying it, keep serving
                    log.info("chain notification %s failed (%s): registration dropped", event[0], exc)
                    self.unregister(registration)
            async with self._progress:
                self._delivered += 1
                self._progress.notify_all()
