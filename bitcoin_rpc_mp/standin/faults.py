"""Fault injection for the stand-in node: slow calls, calls that never answer, dropped connections, death.

Owns the `Faults` switchboard that tests flip while the stand-in runs. The server consults it on every
incoming call (``Thread.getName`` excepted, which the stand-in itself uses to find a call's Thread):

- ``delay_s`` / ``method_delay_s[name]``: sleep before answering; for calls that take a context the sleep
  happens on the call's Thread, so it also holds that Thread (later calls on it queue behind);
- ``hang``: accept every call and never answer it (until the connection closes);
- ``disconnect_on_next_call``: the next call closes every client connection instead of being answered;
- ``exit_on_next_call``: the next call ends the process with ``os._exit(exit_code)`` (no cleanup, like a
  crash without a core); ``abort_on_next_call``: the next call ends it with ``os.abort()`` (SIGABRT).

Closing every connection on demand is ``StandinNode.disconnect_all()``. Pure data plus one coroutine; must
not import anything of ours.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field


@dataclass
class Faults:
    delay_s: float = 0.0
    method_delay_s: dict[str, float] = field(default_factory=dict)
    hang: bool = False
    disconnect_on_next_call: bool = False
    exit_on_next_call: bool = False
    abort_on_next_call: bool = False
    exit_code: int = 1

    def reset(self) -> None:
        self.delay_s = 0.0
        self.method_delay_s.clear()
        self.hang = False
        self.disconnect_on_next_call = False
        self.exit_on_next_call = False
        self.abort_on_next_call = False

    def check_fatal(self) -> bool:
        """Act on the process-ending faults; returns True if the caller must drop every connection now."""
        if self.exit_on_next_call:
            os._exit(self.exit_code)
        if self.abort_on_next_call:
            os.abort()
        if self.disconnect_on_next_call:
            self.disconnect_on_next_call = False
            return True
        return False

    def delay_for(self, method: str) -> float:
        return self.method_delay_s.get(method, self.delay_s)

    async def apply(self, method: str) -> None:
        """Sleep as configured, or forever while ``hang`` is set."""
        if self.hang:
            await asyncio.Event().wait()  # never set: cancelled only when the connection goes away
        delay = self.delay_for(method)
        if delay > 0:
            await asyncio.sleep(delay)
