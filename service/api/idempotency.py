"""`Idempotency-Key` on the API's POST operations (IETF draft "The Idempotency-Key HTTP Header Field").

A client that may send a POST twice (a timeout, a 503, a lost connection) sends a key of its own (a UUID)
with it. The key is optional and belongs to its caller (member, partner key, operator, or an address
without key). The first request with a key runs; its answer, if a success (2xx), is stored with its
fingerprint (method, path, query, body) **in the same transaction as its changes**; a repeat with the same
fingerprint gets that answer again (`Idempotent-Replayed: true`) without running; another request with the
same key → 422; a repeat while the first still runs → 409 and `Retry-After`; a key that is empty, longer
than 255 characters or not printable ASCII → 400. A failed request (an error, any non-2xx) gives its key
back. Keys are forgotten after `RETEX_IDEMPOTENCY_KEY_HOURS` (24 h); a run that died holds its key for
`RETEX_IDEMPOTENCY_LEASE_SECONDS` at most.

One place for every router: `IdempotentRoute` (a router's `route_class`) gives each POST operation the
`claim_key` dependency — after the caller is known and counted, it claims the key in the request's session
and commits the claim, as the rate counters do — and wraps the operation's handler, which stores the
answer (or gives the key back) before the request's session commits. An answer that shows a secret once
(a new API key) is never stored: such an operation is marked `@never_replayed` and ignores the header."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from service.api.auth import AppSettings, CurrentPrincipal
from service.api.errors import ConflictError, DomainError, InvalidFieldError
from service.authz.principal import Kind, Principal
from service.db.base import utcnow
from service.db.session import DbSession, current_session
from service.idempotency.store import Claim, KeyInUse, KeyReused, Stored, claim, complete, release
from service.ratelimit.budgets import client_ip
from service.ratelimit.counters import settle

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_CHARS = 255
# What the schema promises (checked by parse_key, so that a bad key is a 400 with its reason, not a 422):
# printable ASCII, no space at either end (HTTP would trim it), 1 to 255 characters.
KEY_SCHEMA: dict[str, Any] = {
    "minLength": 1,
    "maxLength": MAX_KEY_CHARS,
    "pattern": "^[!-~]([ -~]{0,253}[!-~])?$",
}
KEPT_HEADERS = ("content-type", "location")  # what a replay must say besides its status and body
_STATE = "idempotency_claim"
_NEVER_REPLAYED = "__retex_never_replayed__"
F = TypeVar("F", bound=Callable[..., Any])

DESCRIPTION = (
    "Facultatif. Une clé choisie par le client (un UUID), de 1 à 255 caractères ASCII imprimables, pour "
    "envoyer sans risque la même requête plusieurs fois : la première s'exécute, les suivantes avec le même "
    "corps reçoivent la même réponse (en-tête `Idempotent-Replayed: true`) sans rien refaire, pendant 24 h. "
    "Même clé, autre requête : 422 ; première requête encore en cours : 409 et `Retry-After`. "
    "/ Optional client key (a UUID) making a POST safe to retry."
)


class InvalidIdempotencyKey(DomainError):
    def __init__(self, message: str) -> None:
        super().__init__(message, field=HEADER, status_code=400)


def never_replayed(endpoint: F) -> F:
    """Mark a POST whose answer shows a secret once: never stored, so the header is not read."""
    setattr(endpoint, _NEVER_REPLAYED, True)
    return endpoint


def parse_key(raw: str) -> str:
    """The key of the header, compared as sent (the draft's quoted form `"…"` is a key of its own: a
    client sends its key the same way each time)."""
    value = raw.strip()
    if not value:
        raise InvalidIdempotencyKey("En-tête Idempotency-Key vide : envoyez une clé (un UUID, par exemple).")
    if len(value) > MAX_KEY_CHARS:
        raise InvalidIdempotencyKey(
            f"Clé Idempotency-Key trop longue ({len(value)} caractères, {MAX_KEY_CHARS} au plus)."
        )
    if any(not " " <= c <= "~" for c in value):
        raise InvalidIdempotencyKey(
            "Clé Idempotency-Key illisible : seuls les caractères ASCII imprimables sont acceptés."
        )
    return value


def caller_of(principal: Principal, request: Request) -> str:
    """Whose key it is: the keys of two callers never meet."""
    if principal.kind is Kind.operator:
        return "operator"
    if principal.user_id is not None:
        return f"user:{principal.user_id}"
    if principal.api_key_id is not None:
        return f"key:{principal.api_key_id}"
    return f"anonymous:{client_ip(request)}"


def fingerprint(request: Request, body: bytes) -> str:
    digest = hashlib.sha256(f"{request.method} {request.url.path}?{request.url.query}\n".encode())
    digest.update(body)
    return digest.hexdigest()


class _Replay(Exception):
    """Raised by the dependency, caught by the route's handler: answer the stored response."""

    def __init__(self, stored: Stored) -> None:
        super().__init__("idempotent replay")
        self.stored = stored


def _claim_in(
    db: Session, caller: str, key: str, print_: str, lease: timedelta, ttl: timedelta
) -> Claim | Stored:
    outcome = claim(db, caller=caller, key=key, fingerprint=print_, now=utcnow(), lease=lease, ttl=ttl)
    settle(db)  # the claim (and the request's counts) stand before the work: a repeat sees it at once
    return outcome


async def claim_key(
    request: Request,
    db: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
    idempotency_key: Annotated[str | None, Header(alias=HEADER, description=DESCRIPTION)] = None,
) -> None:
    if idempotency_key is None:
        return
    key = parse_key(idempotency_key)
    body = await request.body()
    try:
        outcome = await run_in_threadpool(
            _claim_in,
            db,
            caller_of(principal, request),
            key,
            fingerprint(request, body),
            timedelta(seconds=settings.idempotency_lease_seconds),
            timedelta(hours=settings.idempotency_key_hours),
        )
    except KeyReused:
        raise InvalidFieldError(
            "Cette clé Idempotency-Key a déjà servi pour une autre requête (autre chemin ou autre corps) : "
            "une clé par requête.",
            field=HEADER,
        ) from None
    except KeyInUse as busy:
        raise ConflictError(
            "Une requête avec cette clé Idempotency-Key est encore en cours : réessayez dans "
            f"{busy.retry_after} s pour lire sa réponse.",
            field=HEADER,
            headers={"Retry-After": str(busy.retry_after)},
        ) from None
    if isinstance(outcome, Stored):
        raise _Replay(outcome)
    setattr(request.state, _STATE, outcome)


def _replayed(stored: Stored) -> Response:
    return Response(
        content=stored.body,
        status_code=stored.status_code,
        headers={**stored.headers, REPLAYED_HEADER: "true"},
    )


def _request_db(request: Request) -> Session:
    db = current_session(request)
    assert db is not None, "claim_key depends on the request's session"
    return db


def _finish(request: Request, held: Claim, response: Response) -> None:
    """Before the request's session commits: store a success with its changes, give a failure's key back."""
    db = _request_db(request)
    body = getattr(response, "body", None)
    if 200 <= response.status_code < 300 and isinstance(body, bytes):
        headers = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
        if not complete(db, held, Stored(response.status_code, headers, body)):
            raise ConflictError(
                "Une autre tentative avec cette clé Idempotency-Key a pris le relais : rien n'a été "
                "enregistré par celle-ci ; réessayez pour lire sa réponse.",
                field=HEADER,
                headers={"Retry-After": "1"},
            )
    else:
        release(db, held)


def _abandon(request: Request, held: Claim) -> None:
    """The request raised: its changes are rolled back, and its key given back in their place."""
    try:
        db = _request_db(request)
        db.rollback()
        release(db, held)
        db.commit()  # the counts made since the claim stay pending: the session replays them
    except Exception as exc:  # the request's own error matters more; the lease frees the key later
        log.warning("idempotency key %s not released: %s", held.id, exc)


Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class IdempotentRoute(APIRoute):
    """The route class of the API's routers: each POST operation reads `Idempotency-Key`."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        methods = {m.upper() for m in kwargs.get("methods") or ()}
        self.keyed = "POST" in methods and not getattr(endpoint, _NEVER_REPLAYED, False)
        if self.keyed:
            kwargs["dependencies"] = [*(kwargs.get("dependencies") or ()), Depends(claim_key)]
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()
        if not self.keyed:
            return handler

        async def idempotent(request: Request) -> Response:
            # Runs inside the request's session: it commits (or rolls back) after this returns.
            try:
                response = await handler(request)
            except _Replay as replay:
                return _replayed(replay.stored)
            except BaseException:
                held = getattr(request.state, _STATE, None)
                if isinstance(held, Claim):
                    await run_in_threadpool(_abandon, request, held)
                raise
            held = getattr(request.state, _STATE, None)
            if isinstance(held, Claim):
                await run_in_threadpool(_finish, request, held, response)
            return response

        return idempotent


def document_idempotency(schema: dict[str, Any]) -> None:
    """The answers of the operations that read the header say when they are a replay."""
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            keys = [p for p in operation.get("parameters", []) if p.get("name") == HEADER]
            if not keys:
                continue
            keys[0]["description"] = DESCRIPTION
            keys[0]["schema"] = {"type": "string", **KEY_SCHEMA}  # optional header: no `null` branch
            for status, response in operation.get("responses", {}).items():
                headers = response.setdefault("headers", {})
                if status.startswith("2"):
                    headers.setdefault(
                        REPLAYED_HEADER,
                        {
                            "description": "`true` : la réponse enregistrée de la première requête "
                            "avec cette clé Idempotency-Key, renvoyée sans rien refaire.",
                            "schema": {"type": "string", "enum": ["true"]},
                        },
                    )
                elif status == "409":
                    headers.setdefault(
                        "Retry-After",
                        {
                            "description": "Secondes à attendre (clé d'une requête en cours).",
                            "schema": {"type": "integer"},
                        },
                    )
