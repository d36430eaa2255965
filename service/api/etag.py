"""ETag / If-None-Match on JSON reads of /api/v1: a partner polling an unchanged resource gets a 304
with no body. The tag is a hash of the body, so it changes exactly when the representation does.
Streamed exports and feeds (not JSON) pass through untouched: they are never held in memory."""

from __future__ import annotations

import hashlib

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 weak comparison against a list of tags (or `*`)."""
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags


class ETagMiddleware:
    def __init__(self, app: ASGIApp, prefix: str = "/api/") -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or not scope["path"].startswith(self.prefix)
        ):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        if_none_match = headers.get(b"if-none-match", b"").decode("latin-1")
        start: Message | None = None
        chunks: list[bytes] = []
        buffering = False

        async def buffered_send(message: Message) -> None:
            nonlocal start, buffering
            if message["type"] == "http.response.start":
                content_type = dict(message.get("headers", [])).get(b"content-type", b"")
                buffering = message["status"] == 200 and content_type.startswith(b"application/json")
                if not buffering:
                    await send(message)
                    return
                start = message
                return
            if not buffering:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            assert start is not None
            body = b"".join(chunks)
            etag = etag_of(body)
            response_headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"etag"]
            response_headers.append((b"etag", etag.encode()))
            if if_none_match and matches(if_none_match, etag):
                kept = [
                    (k, v)
                    for k, v in response_headers
                    if k.lower() not in (b"content-length", b"content-type")
                ]
                await send({"type": "http.response.start", "status": 304, "headers": kept})
                await send({"type": "http.response.body", "body": b""})
                return
            await send({**start, "headers": response_headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, buffered_send)
