"""The synchronous client of /api/v1, on top of httpx.

Retries (429 and 503, and a keyed POST's 409 with Retry-After; at most `max_attempts` attempts in all):
- a request that can be repeated without harm (GET, HEAD, OPTIONS, PUT, DELETE, and a POST carrying an
  `Idempotency-Key`) is retried after the delay of `Retry-After`, or, when the server gave none (a proxy's
  503), after an exponential backoff. Every POST gets a key of its own (a UUID v4), the same for each of
  its attempts: the server runs it once and answers the repeats with the stored answer, so a POST whose
  answer was lost is not done twice; a 409 with Retry-After says its first attempt is still running;
- a request that may not be repeated (PATCH, a POST sent with `idempotency_key=False`) is retried only
  when the answer carries `Retry-After`: Retex sends it on a 429 or a 503 only when it refused the request
  before doing any of its work (quotas are counted before the work; a request that fails is rolled back).
  Without it, the request may have taken effect: the error is raised and the caller decides;
- the client never retries sooner than `Retry-After`: when the server asks for more than `max_retry_wait`
  seconds, it raises `RateLimitedError` / `ServiceUnavailableError` at once, with `retry_after`."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, TypedDict, TypeVar, Unpack, overload
from urllib.parse import quote

import httpx
from pydantic import BaseModel, TypeAdapter

from retex_client._version import __version__
from retex_client.errors import RetexConnectionError, RetexError, error_for, parse_retry_after
from retex_client.models import (
    CaseStudy,
    CaseStudySummary,
    Organisation,
    Page,
    Removal,
    Resource,
    SearchHit,
    SearchResults,
    SimilarTerritories,
    Software,
    SyncItem,
    Territory,
    Theme,
    Thread,
    Webhook,
    WebhookCreated,
    WebhookDelivery,
)
from retex_client.quotas import Quota, parse_rate_limit

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
API_PREFIX = "/api/v1"
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRIED_STATUSES = frozenset({429, 503})
IDEMPOTENCY_HEADER = "Idempotency-Key"
# The lists a partner mirrors with `updated_since` (docs/api.md, « Tenir un miroir à jour »).
MirroredList = Literal[
    "case-studies", "organisations", "software", "territories", "threads", "events", "collections", "contests"
]
_MIRRORED_MODELS: dict[str, type[Resource]] = {
    "case-studies": CaseStudySummary,
    "organisations": Organisation,
    "software": Software,
    "territories": Territory,
    "threads": Thread,
    "events": SyncItem,
    "collections": SyncItem,
    "contests": SyncItem,
}

Scalar = str | int | float | bool
ParamValue = Scalar | Sequence[Scalar] | None
Params = Mapping[str, ParamValue]
M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


class SearchFilters(TypedDict, total=False):
    """The common filters of /search, the exports and the feeds; each may be repeated (a list)."""

    theme: str | Sequence[str]
    territory: str | Sequence[str]
    territory_kind: str | Sequence[str]
    departement: str | Sequence[str]
    region: str | Sequence[str]
    population_band: str | Sequence[str]
    status: str | Sequence[str]
    year: int | Sequence[int]


class CaseStudyFilters(TypedDict, total=False):
    """The filters of `listCaseStudies`."""

    theme: str | Sequence[str]
    territory: str | Sequence[str]
    status: str | Sequence[str]
    publication_state: str


class RetexClient:
    """A client of one Retex instance. Use it as a context manager, or call `close()`.

    `base_url` is the instance's address (`/api/v1` is added unless present); `api_key` a partner or member
    key (`rtx_…`), sent as `Authorization: Bearer`; without it the calls are anonymous, within the
    per-address quota. `extra` on the list methods passes parameters this version does not name yet."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        api_key: str | None = None,
        timeout: float | httpx.Timeout = 30.0,
        max_attempts: int = 4,
        max_retry_wait: float = 60.0,
        backoff: float = 0.5,
        user_agent: str | None = None,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if api_key is not None and (not api_key or any(c.isspace() for c in api_key)):
            raise ValueError("api_key must be a key such as rtx_…, without spaces")
        root = base_url.rstrip("/")
        if not root.endswith(API_PREFIX):
            root += API_PREFIX
        agent = f"retex-client-python/{__version__} httpx/{httpx.__version__}"
        all_headers = {
            "User-Agent": f"{user_agent} {agent}" if user_agent else agent,
            "Accept": "application/json",
        }
        if api_key is not None:
            all_headers["Authorization"] = f"Bearer {api_key}"
        all_headers.update(headers or {})
        self.max_attempts = max_attempts
        self.max_retry_wait = max_retry_wait
        self.backoff = backoff
        self._sleep = sleep
        # The quotas told by the last answer that told them (`RateLimit`), by policy: "key", "anonymous"…
        self.rate_limit: dict[str, Quota] = {}
        self._http = httpx.Client(base_url=root, timeout=timeout, headers=all_headers, transport=transport)

    # -- lifecycle

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RetexClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- search

    def search(
        self,
        q: str,
        *,
        page_size: int | None = None,
        cursor: str | None = None,
        mode: str | None = None,
        for_territory: str | None = None,
        extra: Params | None = None,
        **filters: Unpack[SearchFilters],
    ) -> SearchResults:
        """One page of `searchCases`: hits, best first, with the facets of every matching case."""
        params: dict[str, object] = {
            "q": q,
            "page_size": page_size,
            "cursor": cursor,
            "mode": mode,
            "for_territory": for_territory,
            **filters,
            **(extra or {}),
        }
        return self._get_model("/search", SearchResults, params)

    def iter_search(
        self,
        q: str,
        *,
        page_size: int | None = None,
        mode: str | None = None,
        for_territory: str | None = None,
        extra: Params | None = None,
        **filters: Unpack[SearchFilters],
    ) -> Iterator[SearchHit]:
        """Every hit of a search, page after page, fetched as the iteration goes."""

        def fetch(cursor: str | None) -> tuple[list[SearchHit], str | None]:
            page = self.search(
                q,
                page_size=page_size,
                cursor=cursor,
                mode=mode,
                for_territory=for_territory,
                extra=extra,
                **filters,
            )
            return page.items, page.next

        return _follow(fetch)

    # -- case studies

    def list_case_studies(
        self,
        *,
        limit: int | None = None,
        cursor: str | None = None,
        extra: Params | None = None,
        **filters: Unpack[CaseStudyFilters],
    ) -> Page[CaseStudySummary]:
        """One page of `listCaseStudies` (newest first)."""
        params: dict[str, object] = {"limit": limit, "cursor": cursor, **filters, **(extra or {})}
        return self._get_model("/case-studies", Page[CaseStudySummary], params)

    def iter_case_studies(
        self, *, page_size: int = 100, extra: Params | None = None, **filters: Unpack[CaseStudyFilters]
    ) -> Iterator[CaseStudySummary]:
        """Every case study matching the filters, following the cursors lazily."""
        return self._iter_pages(
            lambda cursor: self.list_case_studies(limit=page_size, cursor=cursor, extra=extra, **filters)
        )

    def get_case_study(self, case_id: int, *, version: str | None = None) -> CaseStudy:
        return self._get_model(f"/case-studies/{int(case_id)}", CaseStudy, {"version": version})

    def get_case_study_by_slug(self, slug: str, *, version: str | None = None) -> CaseStudy:
        return self._get_model(f"/case-studies/by-slug/{_segment(slug)}", CaseStudy, {"version": version})

    # -- territories

    def list_territories(
        self,
        *,
        q: str | None = None,
        kind: str | None = None,
        departement: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        extra: Params | None = None,
    ) -> Page[Territory]:
        """One page of `listTerritories` (largest population first)."""
        params: dict[str, object] = {
            "q": q,
            "kind": kind,
            "departement": departement,
            "limit": limit,
            "cursor": cursor,
            **(extra or {}),
        }
        return self._get_model("/territories", Page[Territory], params)

    def iter_territories(
        self,
        *,
        q: str | None = None,
        kind: str | None = None,
        departement: str | None = None,
        page_size: int = 100,
        extra: Params | None = None,
    ) -> Iterator[Territory]:
        return self._iter_pages(
            lambda cursor: self.list_territories(
                q=q, kind=kind, departement=departement, limit=page_size, cursor=cursor, extra=extra
            )
        )

    def get_territory(self, code: str) -> Territory:
        """A territory by its official code (INSEE, SIREN, département, région)."""
        return self._get_model(f"/territories/{_segment(code)}", Territory, {})

    def similar_territories(
        self,
        code: str,
        *,
        kind: str | Sequence[str] | None = None,
        scope: str | None = None,
        limit: int | None = None,
        extra: Params | None = None,
    ) -> SimilarTerritories:
        """The territories most like `code` (`listSimilarTerritories`), each with its explanation."""
        params: dict[str, object] = {"kind": kind, "scope": scope, "limit": limit, **(extra or {})}
        return self._get_model(f"/territories/{_segment(code)}/similar", SimilarTerritories, params)

    # -- organisations

    def list_organisations(
        self,
        *,
        q: str | None = None,
        kind: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        extra: Params | None = None,
    ) -> Page[Organisation]:
        params = {"q": q, "kind": kind, "limit": limit, "cursor": cursor, **(extra or {})}
        return self._get_model("/organisations", Page[Organisation], params)

    def iter_organisations(
        self,
        *,
        q: str | None = None,
        kind: str | None = None,
        page_size: int = 100,
        extra: Params | None = None,
    ) -> Iterator[Organisation]:
        return self._iter_pages(
            lambda cursor: self.list_organisations(
                q=q, kind=kind, limit=page_size, cursor=cursor, extra=extra
            )
        )

    def get_organisation(self, organisation_id: int) -> Organisation:
        return self._get_model(f"/organisations/{int(organisation_id)}", Organisation, {})

    # -- themes and software

    def list_themes(self) -> list[Theme]:
        """Every theme (not paginated)."""
        return TypeAdapter(list[Theme]).validate_python(self.get_json("/themes"))

    def get_theme(self, slug: str) -> Theme:
        return self._get_model(f"/themes/{_segment(slug)}", Theme, {})

    def list_software(
        self,
        *,
        q: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        extra: Params | None = None,
    ) -> Page[Software]:
        params: dict[str, object] = {"q": q, "limit": limit, "cursor": cursor, **(extra or {})}
        return self._get_model("/software", Page[Software], params)

    def iter_software(
        self, *, q: str | None = None, page_size: int = 100, extra: Params | None = None
    ) -> Iterator[Software]:
        return self._iter_pages(
            lambda cursor: self.list_software(q=q, limit=page_size, cursor=cursor, extra=extra)
        )

    def get_software(self, software_id: int) -> Software:
        return self._get_model(f"/software/{int(software_id)}", Software, {})

    # -- discussions

    def list_threads(
        self,
        *,
        case_study_id: int | None = None,
        theme: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        extra: Params | None = None,
    ) -> Page[Thread]:
        params: dict[str, object] = {
            "case_study_id": case_study_id,
            "theme": theme,
            "limit": limit,
            "cursor": cursor,
            **(extra or {}),
        }
        return self._get_model("/threads", Page[Thread], params)

    def iter_threads(
        self,
        *,
        case_study_id: int | None = None,
        theme: str | None = None,
        page_size: int = 100,
        extra: Params | None = None,
    ) -> Iterator[Thread]:
        return self._iter_pages(
            lambda cursor: self.list_threads(
                case_study_id=case_study_id, theme=theme, limit=page_size, cursor=cursor, extra=extra
            )
        )

    def get_thread(self, thread_id: int) -> Thread:
        return self._get_model(f"/threads/{int(thread_id)}", Thread, {})

    def create_thread(self, *, title: str, body: str, theme: str) -> Thread:
        """Open a discussion in a theme (a member's key). Sent with its own `Idempotency-Key`: retried
        without risk of a second discussion."""
        response = self.request("POST", "/threads", json={"title": title, "body": body, "theme": theme})
        return Thread.model_validate(response.json())

    # -- webhooks of the client's key (a partner's key, or a member's personal key)

    def create_webhook(
        self, url: str, event_types: Sequence[str], *, description: str = ""
    ) -> WebhookCreated:
        """Register an endpoint; keep `secret` (shown this once) to check the signatures."""
        payload = {"url": url, "event_types": list(event_types), "description": description}
        return WebhookCreated.model_validate(self.request("POST", "/webhooks", json=payload).json())

    def list_webhooks(self, *, limit: int | None = None, cursor: str | None = None) -> Page[Webhook]:
        return self._get_model("/webhooks", Page[Webhook], {"limit": limit, "cursor": cursor})

    def iter_webhooks(self, *, page_size: int = 100) -> Iterator[Webhook]:
        return self._iter_pages(lambda cursor: self.list_webhooks(limit=page_size, cursor=cursor))

    def get_webhook(self, webhook_id: int) -> Webhook:
        return self._get_model(f"/webhooks/{int(webhook_id)}", Webhook, {})

    def delete_webhook(self, webhook_id: int) -> None:
        self.request("DELETE", f"/webhooks/{int(webhook_id)}")

    def disable_webhook(self, webhook_id: int) -> Webhook:
        """Suspend it: events keep accumulating in its log, unsent."""
        return Webhook.model_validate(self.request("POST", f"/webhooks/{int(webhook_id)}/disable").json())

    def enable_webhook(self, webhook_id: int) -> Webhook:
        """Turn it back on (after a suspension, or once Retex disabled it): pending deliveries go at once."""
        return Webhook.model_validate(self.request("POST", f"/webhooks/{int(webhook_id)}/enable").json())

    def list_webhook_deliveries(
        self,
        webhook_id: int,
        *,
        state: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[WebhookDelivery]:
        """The delivery log, newest first: tries, last status code, last error."""
        params = {"state": state, "limit": limit, "cursor": cursor}
        return self._get_model(f"/webhooks/{int(webhook_id)}/deliveries", Page[WebhookDelivery], params)

    def iter_webhook_deliveries(
        self, webhook_id: int, *, state: str | None = None, page_size: int = 100
    ) -> Iterator[WebhookDelivery]:
        return self._iter_pages(
            lambda cursor: self.list_webhook_deliveries(
                webhook_id, state=state, limit=page_size, cursor=cursor
            )
        )

    def redeliver_webhook_delivery(self, webhook_id: int, delivery_id: int) -> WebhookDelivery:
        """Send a dead (or delivered) delivery again, with the same `Retex-Webhook-Id`."""
        path = f"/webhooks/{int(webhook_id)}/deliveries/{int(delivery_id)}/redeliver"
        return WebhookDelivery.model_validate(self.request("POST", path).json())

    # -- synchronisation (docs/api.md, « Tenir un miroir à jour »)

    @overload
    def iter_updated_since(
        self, resource: Literal["case-studies"], since: datetime | str, *, page_size: int = 100
    ) -> Iterator[CaseStudySummary]: ...
    @overload
    def iter_updated_since(
        self, resource: Literal["organisations"], since: datetime | str, *, page_size: int = 100
    ) -> Iterator[Organisation]: ...
    @overload
    def iter_updated_since(
        self, resource: Literal["software"], since: datetime | str, *, page_size: int = 100
    ) -> Iterator[Software]: ...
    @overload
    def iter_updated_since(
        self, resource: Literal["territories"], since: datetime | str, *, page_size: int = 100
    ) -> Iterator[Territory]: ...
    @overload
    def iter_updated_since(
        self, resource: Literal["threads"], since: datetime | str, *, page_size: int = 100
    ) -> Iterator[Thread]: ...
    @overload
    def iter_updated_since(
        self,
        resource: Literal["events", "collections", "contests"],
        since: datetime | str,
        *,
        page_size: int = 100,
    ) -> Iterator[SyncItem]: ...
    def iter_updated_since(
        self, resource: MirroredList, since: datetime | str, *, page_size: int = 100
    ) -> Iterator[Resource]:
        """Every item of a mirrored list created or changed at `since` or after, oldest change first
        (`updated_at`, then `id`): replace your copy of each. `since` must carry its time zone."""
        model = _MIRRORED_MODELS.get(resource)
        if model is None:
            raise ValueError(f"{resource!r} n'est pas une liste recopiable : {', '.join(_MIRRORED_MODELS)}")
        page_type = Page[model]  # type: ignore[valid-type]
        params = {"updated_since": _instant(since), "limit": page_size}

        def fetch(cursor: str | None) -> tuple[list[Resource], str | None]:
            page = page_type.model_validate(self.get_json(f"/{resource}", {**params, "cursor": cursor}))
            return list(page.items), page.next

        return _follow(fetch)

    def removals(
        self, since: datetime | str | None = None, *, kind: str | None = None, page_size: int = 100
    ) -> Iterator[Removal]:
        """The removals feed (`listRemovals`) from `since` on (all of it without), oldest first: delete
        your copy of each item unless the copy is newer (`updated_at` after `removed_at`)."""
        params: dict[str, object] = {
            "since": None if since is None else _instant(since),
            "kind": kind,
            "limit": page_size,
        }
        return self._iter_pages(
            lambda cursor: self._get_model("/removals", Page[Removal], {**params, "cursor": cursor})
        )

    # -- any route

    def get_json(self, path: str, params: Mapping[str, object] | None = None) -> Any:
        """GET any route of /api/v1 (path relative to it) and return its decoded JSON."""
        return self.request("GET", path, params=params).json()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, object] | None = None,
        json: Any = None,
        idempotency_key: str | bool = True,
    ) -> httpx.Response:
        """One call, with the retry rule of this module; an answer of 400 or more raises an `ApiError`.

        A POST carries `Idempotency-Key`: a new UUID v4 (`True`), yours (a string, e.g. to repeat a call
        of an earlier run), or none (`False`); the same key goes with each of its attempts."""
        method = method.upper()
        query = _query(params or {})
        headers: dict[str, str] = {}
        if method == "POST" and idempotency_key is not False:
            headers[IDEMPOTENCY_HEADER] = (
                str(uuid.uuid4()) if idempotency_key is True else str(idempotency_key)
            )
        keyed = bool(headers)
        attempt = 1
        while True:
            try:
                response = self._http.request(method, path, params=query, json=json, headers=headers)
            except httpx.TimeoutException as exc:
                raise RetexConnectionError(f"{self._http.base_url} : pas de réponse à temps ({exc})") from exc
            except httpx.TransportError as exc:
                raise RetexConnectionError(f"{self._http.base_url} injoignable : {exc}") from exc
            told = parse_rate_limit(response.headers.get("RateLimit"))
            if told:
                self.rate_limit = told
            if response.status_code < 400:
                return response
            delay = self._retry_delay(method, response, attempt, keyed=keyed)
            if delay is None:
                raise error_for(response)
            response.close()
            self._sleep(delay)
            attempt += 1

    def _retry_delay(
        self, method: str, response: httpx.Response, attempt: int, *, keyed: bool = False
    ) -> float | None:
        """Seconds to wait before the next attempt, or None: do not retry."""
        if attempt >= self.max_attempts:
            return None
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        # A keyed POST's 409 with Retry-After: its first attempt still runs; the next one reads its answer.
        running = keyed and response.status_code == 409 and retry_after is not None
        if response.status_code not in RETRIED_STATUSES and not running:
            return None
        if retry_after is None:
            if method not in IDEMPOTENT_METHODS and not keyed:
                return None  # the request may have taken effect: never repeat it blindly
            return min(self.backoff * 2.0 ** (attempt - 1), self.max_retry_wait)
        if retry_after > self.max_retry_wait:
            return None  # never sooner than the server asked: give the caller `retry_after` instead
        return retry_after

    def _get_model(self, path: str, model: type[M], params: Mapping[str, object]) -> M:
        return model.model_validate(self.get_json(path, params))

    def _iter_pages(self, fetch: Callable[[str | None], Page[T]]) -> Iterator[T]:
        def items(cursor: str | None) -> tuple[list[T], str | None]:
            page = fetch(cursor)
            return page.items, page.next

        return _follow(items)


def _follow(fetch: Callable[[str | None], tuple[list[T], str | None]]) -> Iterator[T]:
    """Items of page after page, each page fetched when the previous one is used up."""
    cursor: str | None = None
    seen: set[str] = set()
    while True:
        items, following = fetch(cursor)
        yield from items
        if following is None:
            return
        if following in seen:
            raise RetexError(f"le serveur a renvoyé deux fois le curseur {following!r}")
        seen.add(following)
        cursor = following


def _query(params: Mapping[str, object]) -> httpx.QueryParams:
    """Query pairs: None left out, a list repeated (`?theme=a&theme=b`), booleans as true/false."""
    pairs: list[tuple[str, str]] = []
    for name, value in params.items():
        if value is None:
            continue
        values = list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]
        for v in values:
            pairs.append((name, ("true" if v else "false") if isinstance(v, bool) else str(v)))
    return httpx.QueryParams(tuple(pairs))


def _instant(value: datetime | str) -> str:
    """An instant for the API (RFC 3339 with its offset): a datetime without a time zone is refused here,
    as the server would refuse it."""
    if isinstance(value, str):
        return value
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("since : un instant avec son fuseau horaire (datetime(..., tzinfo=UTC))")
    return value.isoformat()


def _segment(value: str) -> str:
    return quote(str(value), safe="")
