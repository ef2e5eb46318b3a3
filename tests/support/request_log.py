"""A recording ASGI wrapper for the sandbox server: every request as it arrives and as its
answer is sent, the most requests in flight at once, and an optional hook on arrival."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Message, Receive, Scope, Send


@dataclass
class RequestLog:
    """Wraps ``app``; ``events`` holds ("start" | "end", "METHOD /path") in the order seen."""

    app: ASGIApp
    on_start: Callable[[str], None] | None = None
    events: list[tuple[str, str]] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        what = f"{scope['method']} {scope['path']}"
        with self._lock:
            self.events.append(("start", what))
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        if self.on_start is not None:
            self.on_start(what)
        ended = False

        async def sending(message: Message) -> None:
            nonlocal ended
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                ended = True
                self._end(what)

        try:
            await self.app(scope, receive, sending)
        finally:
            if not ended:
                self._end(what)

    def _end(self, what: str) -> None:
        with self._lock:
            self.events.append(("end", what))
            self.in_flight -= 1

    def clear(self) -> None:
        with self._lock:
            self.events.clear()
            self.most_in_flight = self.in_flight

    def count(self, method: str, prefix: str = "/") -> int:
        return sum(
            1
            for kind, what in self.events
            if kind == "start" and what.startswith(f"{method} {prefix}")
        )
