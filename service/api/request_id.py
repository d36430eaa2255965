"""A request id on every response (`X-Request-ID`) and in the log line of every request, so a partner
who reports a problem can name the exact request. A well-formed id sent by the caller is kept."""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = b"x-request-id"
_SAFE_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,128}$")

current_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
log = logging.getLogger("retex.requests")


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to log records emitted while a request is handled (for log formats)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get() or "-"
        return True


def configure_request_log(level: int = logging.INFO) -> None:
    """One line per request on stderr (id, method, path, status, duration), for `retex serve`."""
    if log.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(level)
    log.propagate = False


def loggable(text: str) -> str:
    """Control characters escaped (`%0A` in a path must not forge a second log line)."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def request_id_of(scope: Scope) -> str:
    sent = dict(scope.get("headers") or []).get(HEADER)
    if sent is not None and _SAFE_ID.match(sent):
        return sent.decode()
    return uuid.uuid4().hex


class RequestId:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        token = current_request_id.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != HEADER]
                message["headers"] = [*headers, (HEADER, request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("request %s %s %s failed", request_id, scope["method"], loggable(scope["path"]))
            raise
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            log.info(
                "request %s %s %s -> %d (%.1f ms)",
                request_id,
                loggable(scope["method"]),
                loggable(scope["path"]),
                status,
                elapsed,
            )
            current_request_id.reset(token)
