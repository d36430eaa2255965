"""Schemathesis fuzzes every /api/v1 operation against the app's own OpenAPI document, in process (no
network): no server error, every status, content type, header and body as documented.

The fuzzed app has its own freshly seeded database and index: the admin profile creates, edits and deletes
cases, which must not disturb the shared seeded database of the other tests.

Who calls is a parametrised list (`CALLERS`): anonymous, a partner's API key, a member's personal key and
the operator token (an administrator)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.config import SchemathesisConfig
from schemathesis.generation import GenerationMode
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.schemas import APIOperation, BaseSchema
from sqlalchemy import select
from sqlalchemy.orm import Session

from seeds.run import seed_all
from service.accounts.api_keys import PARTNER_SCOPES, create_api_key
from service.accounts.models import Membership, Role, User
from service.app import create_app
from service.authz.principal import ALL_SCOPES
from service.db.base import utcnow
from service.db.engine import make_engine, make_session_factory
from service.db.migrate import upgrade
from service.organisations.models import Organisation
from service.settings import Settings
from tests.support.api import ADMIN_TOKEN
from tests.support.databases import scratch_database

CALLERS: dict[str, dict[str, str]] = {
    "anonymous": {},
    "partner": {},  # filled by `fuzz_app`: a partner's API key (read, search)
    "member": {},  # filled by `fuzz_app`: a member's personal API key (read, search, write)
    "admin": {"Authorization": f"Bearer {ADMIN_TOKEN}"},
}
# At most this many examples per operation, caller and mode (valid / invalid data): with about 60
# operations, 4 callers and 2 modes, about 4,000 requests (the module asserts at least MIN_CASES).
EXAMPLES_PER_OPERATION = 10
MIN_CASES = 1000

generated: dict[str, int] = {}
# A body over RETEX_MAX_REQUEST_BYTES is refused with 413 before it is parsed (service/api/body_limit.py):
# that is a rejection of invalid data too, so it joins the statuses the negative check accepts.
REJECTIONS = [400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429]
FUZZ_CONFIG = SchemathesisConfig.from_dict(
    {"checks": {"negative_data_rejection": {"expected-statuses": REJECTIONS}}}
)


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _partner_key(session: Session) -> str:
    _, secret = create_api_key(
        session,
        name="Partenaire du fuzz",
        scopes=PARTNER_SCOPES,
        rate_limit_per_minute=100_000,
        user_id=None,
        created_by_id=None,
    )
    return secret


def _member_key(session: Session) -> str:
    """A member with a confirmed address, in an organisation, with a personal key of every scope."""
    user = User(
        email="fuzz@membre.fr",
        display_name="Membre Fuzz",
        password_hash="",
        role=Role.member,
        email_verified_at=utcnow(),
    )
    session.add(user)
    session.flush()
    organisation_id = session.scalars(select(Organisation.id).order_by(Organisation.id).limit(1)).one()
    session.add(Membership(user_id=user.id, organisation_id=organisation_id))
    _, secret = create_api_key(
        session,
        name="Clé du fuzz",
        scopes=ALL_SCOPES,
        rate_limit_per_minute=100_000,
        user_id=user.id,
        created_by_id=user.id,
    )
    return secret


@pytest.fixture(scope="module")
def fuzz_app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    folder = tmp_path_factory.mktemp("fuzz")
    with scratch_database(database_url, folder) as url:
        upgrade(url)
        engine = make_engine(url)
        with make_session_factory(engine)() as session:
            seed_all(session)
            session.commit()
            CALLERS["partner"] = _bearer(_partner_key(session))
            CALLERS["member"] = _bearer(_member_key(session))
            ORGANISER["id"] = session.scalars(
                select(Organisation.id).order_by(Organisation.id).limit(1)
            ).one()
            session.commit()
        engine.dispose()
        settings = Settings(
            data_dir=folder / "data",
            database_url=url,
            admin_token=ADMIN_TOKEN,
            model="hashing",
            index_worker=False,
            email_sender=False,
            webhook_worker=False,
            posts_per_minute=100_000,  # the fuzz posts fast; the flood limit has its own test
            anonymous_reads_per_minute=1_000_000,  # the anonymous caller sends thousands of requests
        )
        app = create_app(settings)
        yield app
        shutdown_lifespans()  # schemathesis keeps the app's lifespan open until told
        app.state.engine.dispose()


@pytest.fixture(scope="module")
def api_schema(fuzz_app: FastAPI) -> Iterator[BaseSchema]:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", fuzz_app, config=FUZZ_CONFIG)
    fuzz_app.state.outbox_worker.run_until_idle()  # index the seeded cases: search has results to check
    territories = getattr(fuzz_app.state, "territory_index", None)
    if territories is not None:  # built in the background at start-up: similar territories need it
        assert territories.wait_ready(300)
    yield schema
    total = sum(generated.values())
    print(f"\nschemathesis: {total} generated cases over {len(generated)} operation×caller pairs")
    if (
        len(generated) >= 25 * len(CALLERS) * 2
    ):  # only meaningful when the whole module ran, not a -k selection
        assert total >= MIN_CASES


FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,  # same cases on every run: a CI failure reproduces locally
    deadline=None,  # timing is measured by bench/, never asserted here
    database=None,  # no example database written under the work tree
    suppress_health_check=list(HealthCheck),  # slow data generation is not what this test is about
    print_blob=True,
)


# Query parameters that name a row of the database: a positive case must name one that exists (an
# unknown territory code is rightly a 422), so these are fixed while every other parameter is generated.
EXISTING = {"territory": "83050", "for_territory": "83050", "forge": "lutece-secteur-public"}


def _existing_references(operation: APIOperation, mode: GenerationMode) -> dict[str, str] | None:
    if mode is not GenerationMode.POSITIVE:
        return None
    names = {p.name for p in operation.query}
    return {k: v for k, v in EXISTING.items() if k in names} or None


# Body fields that name rows (themes, territories, software, organisation) or must be ordered against the
# stored case (dates) carry rules no JSON schema can state. Positive bodies get values that exist, so the
# writes really succeed and their 201/200 responses are checked; the refusals have their own tests
# (tests/service/test_api_case_studies.py).
REAL_BODY_VALUES: dict[str, object] = {
    "themes": ["achats-mutualisation"],
    "theme": "open-data",
    "territory_codes": ["83050"],
    "software_ids": [],
    "organisation_id": None,
}


# An event needs an organiser that exists, times in order, a real time zone, and sessions whose themes,
# speakers and cases exist; the refusals have their own tests (tests/service/test_events_api.py).
REAL_EVENT_VALUES: dict[str, object] = {
    "starts_at": "2030-05-14T09:30:00+02:00",
    "ends_at": "2030-05-14T17:00:00+02:00",
    "timezone": "Europe/Paris",
    "territory_code": "83050",
    "sessions": [],
}
# The id of an existing organisation, set once the database is seeded.
ORGANISER: dict[str, int] = {}


def _with_real_references(case: schemathesis.Case) -> schemathesis.Case:
    if isinstance(case.body, dict) and "/events" in case.operation.path:
        case.body.update(REAL_EVENT_VALUES)  # a place is required: the territory is always given
        case.body["organisation_id"] = ORGANISER["id"]
        return case
    if isinstance(case.body, dict) and case.operation.path.endswith("/webhooks"):
        # A public https address: private, local and malformed ones are refused (test_webhooks.py).
        case.body["url"] = "https://partenaire.example.org/retex/webhooks"
        return case
    if isinstance(case.body, dict) and "/collections" in case.operation.path:
        # A selection holds published cases that exist (and the admin's fuzz deletes cases): none here.
        case.body["items"] = []
        case.body["organisation_id"] = None  # a moderators' selection: no organisation to guess
        return case
    if isinstance(case.body, dict):
        for name, value in REAL_BODY_VALUES.items():
            if name in case.body:
                case.body[name] = value
        case.body.pop("started_on", None)
        case.body.pop("ended_on", None)
    return case


def _without_cursor(case: schemathesis.Case) -> schemathesis.Case:
    if case.query:
        case.query.pop("cursor", None)
    return case


def _free_text_lists(operation: APIOperation) -> dict[str, int]:
    """Query parameters that are lists of free text (theme, territory…), with their most items."""
    lists = {}
    for parameter in operation.query:
        schema = parameter.definition.get("schema", {})
        for branch in schema.get("anyOf", [schema]):
            items = branch.get("items", {})
            free = items.get("type") == "string" and not {"pattern", "enum", "maxLength", "format"} & set(
                items
            )
            if branch.get("type") == "array" and free:
                lists[parameter.name] = int(branch.get("maxItems", 10**6))
    return lists


def _invalid_on_the_wire(case: schemathesis.Case, free_lists: dict[str, int]) -> bool:
    """In a query string a lone value is a one-item list and any text is a valid item of a list of free
    text: such a parameter is invalid on the wire only with too many items. A negative case whose every
    mutation hit one otherwise sends a valid request, which is rightly served (schemathesis only
    guards this for booleans and path numbers)."""
    mutations = case.meta.phase.data.mutations if case.meta is not None else ()
    for mutation in mutations:
        name = mutation.parameter
        if mutation.parameter_location != "query" or name not in free_lists:
            return True
        value = (case.query or {}).get(name)
        if isinstance(value, list) and len(value) > free_lists[name]:
            return True
    return not mutations


def _one_key_per_request(case: schemathesis.Case) -> schemathesis.Case:
    """An Idempotency-Key names one request: the generator repeats short keys ("0") for different bodies,
    which the server rightly refuses (422, its own test: tests/service/test_api_idempotency.py). Each
    positive case keeps its generated key, made unique by a suffix that keeps it valid."""
    key = (case.headers or {}).get("Idempotency-Key")
    if case.headers is not None and key is not None:
        case.headers["Idempotency-Key"] = f"{key[:200]}-{uuid.uuid4().hex}"
    return case


def fuzz_operation(operation: APIOperation, mode: GenerationMode, headers: dict[str, str]) -> int:
    """Send generated cases to one operation; returns how many were sent (raises on the first failure)."""
    sent = 0

    strategy = operation.as_strategy(generation_mode=mode, query=_existing_references(operation, mode))
    if mode is GenerationMode.NEGATIVE:
        free_lists = _free_text_lists(operation)
        strategy = strategy.filter(lambda case: _invalid_on_the_wire(case, free_lists))
    if mode is GenerationMode.POSITIVE:
        # A pagination cursor is opaque: no schema can describe the strings the server issued, so a
        # generated one is (rightly) refused with a 422. Positive cases go without it; negative cases and
        # tests/service/test_api_v1.py (which follows real `next` cursors on every list) cover it.
        strategy = strategy.map(_without_cursor).map(_with_real_references).map(_one_key_per_request)

    @FUZZ_SETTINGS
    @given(case=strategy)
    def run(case: schemathesis.Case) -> None:
        nonlocal sent
        sent += 1
        case.call_and_validate(headers=headers)

    run()
    return sent


# Positive cases must be accepted (2xx, or a documented 404 for an unknown id), negative ones refused
# with a documented 4xx. The pytest plugin of schemathesis does not work with pytest 9 yet (it reads a
# private attribute of pytest's items), so operations are driven here through Hypothesis directly.
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
@pytest.mark.parametrize("caller", list(CALLERS))
def test_api_conforms_to_its_openapi(api_schema: BaseSchema, caller: str, mode: GenerationMode) -> None:
    failures: list[str] = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        try:
            generated[f"{operation.label} {caller} {mode.value}"] = fuzz_operation(
                operation, mode, CALLERS[caller]
            )
        except KeyboardInterrupt:
            raise
        except Unsatisfiable:
            # No parameter can be made invalid (e.g. GET /themes, or a free-form path segment): nothing
            # to send in negative mode.
            assert mode is GenerationMode.NEGATIVE, operation.label
        except BaseException as exc:  # schemathesis raises exception groups: collect every operation's
            failures.append(f"{operation.label}: {str(exc)[:3000]}")
    assert not failures, "\n\n".join(failures)


def test_openapi_documents_problem_details_everywhere(fuzz_app: FastAPI) -> None:
    spec = fuzz_app.openapi()
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    assert "**Français.**" in spec["info"]["description"] and "**English.**" in spec["info"]["description"]
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            errors = {s: r for s, r in operation["responses"].items() if s.startswith(("4", "5"))}
            assert errors, f"{method} {path} documents no error"
            for response in errors.values():
                assert list(response["content"]) == ["application/problem+json"], f"{method} {path}"
            assert operation.get("summary"), f"{method} {path}"


def test_spec_is_published_and_browsable(fuzz_app: FastAPI) -> None:
    from fastapi.testclient import TestClient

    client = TestClient(fuzz_app)
    assert client.get("/api/v1/openapi.json").json()["openapi"].startswith("3.")
    assert "swagger" in client.get("/docs").text.lower()
