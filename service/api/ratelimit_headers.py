"""Writes `RateLimit-Policy` / `RateLimit` (service/ratelimit/policy.py) on every /api/ answer whose
request a budget counted — successes, errors and 429s alike — from what the budgets recorded on the
request's state."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.ratelimit.policy import STATE_KEY, header_fields


class RateLimitHeaders:
    def __init__(self, app: ASGIApp, prefix: str = "/api/") -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})

        async def send_with_quotas(message: Message) -> None:
            if message["type"] == "http.response.start":
                fields = header_fields(list(state.get(STATE_KEY, {}).values()))
                if fields:
                    headers = [
                        h for h in message.get("headers", []) if not h[0].lower().startswith(b"ratelimit")
                    ]
                    headers += [(k.lower().encode(), v.encode()) for k, v in fields.items()]
                    message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_quotas)
