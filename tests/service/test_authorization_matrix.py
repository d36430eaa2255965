"""Every mutating route of the app (JSON API and web forms) × every kind of caller → allowed or refused.

The routes are enumerated from the application itself: a new POST/PATCH/PUT/DELETE route that is not
listed in MATRIX fails `test_every_mutating_route_is_in_the_matrix`, so nobody can add an unprotected
route by accident. Each request gets fresh resources (a new case, a new join request…), so the
outcome only depends on who is asking.

Refused means 401/403 (or 404 for something the caller may not even see, or a redirect to the login
page for a web form). Allowed means anything else below 500 (a 422 for a deliberately incomplete
form still proves the caller got past the permission check)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, insert, select

from service.accounts.api_keys import create_api_key, find_active_key
from service.accounts.models import Membership, MembershipStatus, Role, User
from service.authz.principal import ALL_SCOPES, Scope
from service.casestudies.models import CaseStudy, ProjectStatus, PublicationState, case_themes
from service.collections.models import Collection, Visibility
from service.db.engine import make_session_factory
from service.discussions.models import Post, Thread
from service.events.models import Event, EventKind
from service.funding.models import FundedProject
from service.moderation.models import CaseRevision, Report, ReportTarget, RevisionStatus
from service.organisations.models import Organisation, OrganisationKind
from service.themes.models import Theme
from service.webhooks.models import DeliveryState, WebhookDelivery, WebhookEndpoint, WebhookEvent
from service.webhooks.signing import new_secret
from tests.support.events import event_payload, future_start
from tests.support.people import PASSWORD, People, Person
from tests.support.web import csrf_from, log_in

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
# Who may do what. "editor": the members of the case's organisation (and admins).
ALLOWED: dict[str, set[str]] = {
    "anyone": {"anonymous", "partner", "unverified", "outsider", "member", "org_admin", "moderator", "admin"},
    "logged_in": {"unverified", "outsider", "member", "org_admin", "moderator", "admin"},
    "verified": {"outsider", "member", "org_admin", "moderator", "admin"},
    "editor": {"member", "org_admin", "admin"},
    "org_admin": {"org_admin", "admin"},
    "moderator": {"moderator", "admin"},
    "admin": {"admin"},
    "editor_or_moderator": {"member", "org_admin", "moderator", "admin"},
    "organiser": {"org_admin", "moderator", "admin"},  # the organiser's admins and the moderators
    "interactive_only": set(),  # an API key never makes keys (only the site's session: /compte/cles)
    # Webhooks belong to a key: any key (a partner's, or a member's personal key), its own endpoints only.
    "keyed": {"partner", "unverified", "outsider", "member", "org_admin", "moderator", "admin"},
}
CALLERS = sorted(ALLOWED["anyone"])


@dataclass
class Req:
    params: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    form: dict[str, Any] | None = None
    relogin: bool = False  # the request changes who the browser is logged in as


class Fixtures:
    """Fresh resources, written straight to the database (one short transaction each)."""

    def __init__(self, engine: Engine, people: People) -> None:
        self.factory = make_session_factory(engine)
        self.people = people

    def _add(self, obj: Any) -> Any:
        with self.factory() as db:
            db.add(obj)
            db.commit()
            db.refresh(obj)
            db.expunge(obj)
        return obj

    def case(self, state: PublicationState = PublicationState.draft) -> CaseStudy:
        tag = uuid.uuid4().hex[:10]
        return self._add(
            CaseStudy(
                slug=f"matrice-{tag}",
                title=f"Matrice {tag}",
                summary="Une expérience pour la matrice des droits.",
                status=ProjectStatus.pilot,
                publication_state=state,
                organisation_id=self.people.org_id,
            )
        )

    def suggested_theme(self) -> dict[str, Any]:
        """A case with a theme Retex suggested (to confirm or remove): path parameters of the link routes."""
        case, theme = self.case(), self.theme()
        with self.factory() as db:
            db.execute(
                insert(case_themes).values(case_study_id=case.id, theme_id=theme.id, origin="detected")
            )
            db.commit()
        return {"case_id": case.id, "slug": case.slug, "kind": "theme", "target_id": theme.id}

    def user(self) -> User:
        return self._add(
            User(
                email=f"m-{uuid.uuid4().hex[:10]}@matrice.fr",
                display_name="Matrice",
                password_hash="",
                role=Role.member,
            )
        )

    def membership(self, status: MembershipStatus) -> User:
        user = self.user()
        self._add(Membership(user_id=user.id, organisation_id=self.people.org_id, status=status))
        return user

    def organisation(self) -> Organisation:
        tag = uuid.uuid4().hex[:10]
        return self._add(
            Organisation(slug=f"org-{tag}", name=f"Organisation {tag}", kind=OrganisationKind.association)
        )

    def key(self, user_id: int | None) -> int:
        with self.factory() as db:
            key, _ = create_api_key(
                db,
                name="matrice",
                scopes=ALL_SCOPES if user_id else frozenset({Scope.read}),
                rate_limit_per_minute=100,
                user_id=user_id,
                created_by_id=None,
            )
            db.commit()
            return key.id

    def webhook(self, caller: str) -> tuple[int, int]:
        """An endpoint of the caller's own key (the partner's for the anonymous caller), and a dead
        delivery in its log. The port 9 of the loopback refuses at once, should a worker try it."""
        who = caller if caller != "anonymous" else "partner"
        with self.factory() as db:
            key = find_active_key(db, getattr(self.people, who).api_key)
            assert key is not None
            endpoint = WebhookEndpoint(
                api_key_id=key.id,
                url="http://127.0.0.1:9/matrice",
                event_types=["case.published"],
                secret=new_secret(),
                active=True,
                consecutive_failures=0,
            )
            db.add(endpoint)
            db.flush()
            delivery = WebhookDelivery(
                endpoint_id=endpoint.id,
                delivery_id=f"whd_{uuid.uuid4().hex}",
                event_type=WebhookEvent.case_published,
                payload={"id": "evt_matrice", "type": "case.published", "data": {}},
                state=DeliveryState.dead,
                attempts=3,
            )
            db.add(delivery)
            db.commit()
            return endpoint.id, delivery.id

    def remove_webhooks(self) -> None:
        with self.factory() as db:
            db.execute(delete(WebhookEndpoint).where(WebhookEndpoint.url.like("http://127.0.0.1:9/%")))
            db.commit()

    def funded_project_id(self) -> int:
        with self.factory() as db:
            found = db.scalar(select(FundedProject.id).order_by(FundedProject.id).limit(1))
        assert found is not None, "the seed holds funded projects"
        return found

    def theme(self) -> Theme:
        """A theme of the matrix's own: changing a seeded one would make the seed test see a difference."""
        tag = uuid.uuid4().hex[:10]
        return self._add(Theme(slug=f"matrice-{tag}", label=f"Matrice {tag}"))

    def thread(self) -> Thread:
        return self._add(
            Thread(title="Matrice " + uuid.uuid4().hex[:8], author_id=self.people.member.user_id)
        )

    def own_thread(self, author_id: int) -> Thread:
        """A public thread with its author's question only (nobody answered yet)."""
        thread = self._add(Thread(title="Matrice " + uuid.uuid4().hex[:8], author_id=author_id, post_count=1))
        self._add(Post(thread_id=thread.id, author_id=author_id, body="Une question de la matrice."))
        return thread

    def post(self, author_id: int) -> Post:
        thread = self.thread()
        return self._add(Post(thread_id=thread.id, author_id=author_id, body="Un message de la matrice."))

    def revision(self) -> CaseRevision:
        """A member's edit of a published case, waiting for review."""
        case = self.case(PublicationState.published)
        return self._add(
            CaseRevision(
                case_study_id=case.id,
                author_id=self.people.member.user_id,
                status=RevisionStatus.pending,
                changes={"summary": "Résumé proposé par la matrice des droits."},
                previous={"summary": case.summary},
            )
        )

    def event(self) -> Event:
        """A future event organised by the people's organisation."""
        start = future_start(40)
        return self._add(
            Event(
                title="Matrice " + uuid.uuid4().hex[:8],
                kind=EventKind.webinar,
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                organisation_id=self.people.org_id,
                online_url="https://visio.example.org/matrice",
            )
        )

    def collection(self) -> Collection:
        tag = uuid.uuid4().hex[:10]
        return self._add(
            Collection(
                slug=f"matrice-{tag}",
                title=f"Matrice {tag}",
                visibility=Visibility.public,
                organisation_id=self.people.org_id,
            )
        )

    def report(self) -> Report:
        case = self.case(PublicationState.published)
        return self._add(
            Report(
                target_type=ReportTarget.case_study,
                target_id=case.id,
                reporter_id=self.people.member.user_id,
                reason="contenu à vérifier",
            )
        )


def _own_user_id(people: People, caller: str) -> int:
    person: Person | None = getattr(people, caller, None)
    return person.user_id if person and person.user_id else people.member.user_id


def _own_name(people: People, caller: str) -> str:
    """The caller's current name: the matrix saves the profile without changing it for later tests."""
    person: Person | None = getattr(people, caller, None)
    return person.display_name if person and person.display_name else "Visiteur"


def _case_form(title: str) -> dict[str, str]:
    return {
        "title": title,
        "summary": "Un résumé assez long pour être valable.",
        "status": "pilot",
        "licence": "etalab-2.0",
        "action": "draft",
    }


def _revision_params(f: Fixtures, **extra: Any) -> Req:
    revision = f.revision()
    return Req({"case_id": revision.case_study_id, "revision_id": revision.id}, **extra)


Builder = Callable[[Fixtures, str], Req]
P = PublicationState
# (method, path) -> (who may, how to build one request for a given caller)
MATRIX: dict[tuple[str, str], tuple[str, Builder]] = {
    # --- JSON API ---
    ("POST", "/api/v1/case-studies"): (
        "verified",
        lambda f, c: Req(
            json={
                "title": "Matrice " + uuid.uuid4().hex[:8],
                "summary": "Un résumé assez long pour être valable.",
                "status": "pilot",
                "publication_state": "draft",
            }
        ),
    ),
    ("PATCH", "/api/v1/case-studies/{case_id}"): (
        "editor",
        lambda f, c: Req(
            {"case_id": f.case().id}, json={"summary": "Résumé modifié par la matrice des droits."}
        ),
    ),
    ("DELETE", "/api/v1/case-studies/{case_id}"): ("admin", lambda f, c: Req({"case_id": f.case().id})),
    ("POST", "/api/v1/funded-projects/{project_id}/draft"): (
        "verified",
        lambda f, c: Req({"project_id": f.funded_project_id()}),
    ),
    ("POST", "/api/v1/case-studies/{case_id}/transitions"): (
        "editor",
        lambda f, c: Req({"case_id": f.case().id}, json={"to": "submitted"}),
    ),
    ("POST", "/api/v1/case-studies/{case_id}/links/{kind}/{target_id}/confirm"): (
        "editor",
        lambda f, c: Req(f.suggested_theme()),
    ),
    ("DELETE", "/api/v1/case-studies/{case_id}/links/{kind}/{target_id}"): (
        "editor",
        lambda f, c: Req(f.suggested_theme()),
    ),
    ("POST", "/api/v1/case-studies/{case_id}/revisions/{revision_id}/decision"): (
        "moderator",
        lambda f, c: _revision_params(f, json={"decision": "approved"}),
    ),
    ("POST", "/api/v1/case-studies/check-duplicates"): (
        "anyone",
        lambda f, c: Req(json={"title": "Portail citoyen open source", "summary": "Démarches en ligne"}),
    ),
    ("POST", "/api/v1/me/api-keys"): (
        "interactive_only",
        lambda f, c: Req(json={"name": "script", "scopes": ["read"]}),
    ),
    ("DELETE", "/api/v1/me/api-keys/{key_id}"): (
        "logged_in",
        lambda f, c: Req({"key_id": f.key(_own_user_id(f.people, c))}),
    ),
    ("PATCH", "/api/v1/users/{user_id}"): (
        "admin",
        lambda f, c: Req({"user_id": f.user().id}, json={"role": "moderator"}),
    ),
    ("POST", "/api/v1/api-keys"): (
        "interactive_only",  # partners' keys: the admin page (or the operator token), never a key
        lambda f, c: Req(json={"name": "Partenaire matrice"}),
    ),
    ("DELETE", "/api/v1/api-keys/{key_id}"): ("admin", lambda f, c: Req({"key_id": f.key(None)})),
    ("POST", "/api/v1/organisations/{organisation_id}/join-requests"): (
        "verified",
        lambda f, c: Req({"organisation_id": f.organisation().id}),
    ),
    ("POST", "/api/v1/organisations/{organisation_id}/members/{user_id}/approval"): (
        "org_admin",
        lambda f, c: Req(
            {"organisation_id": f.people.org_id, "user_id": f.membership(MembershipStatus.pending).id}
        ),
    ),
    ("PATCH", "/api/v1/organisations/{organisation_id}/members/{user_id}"): (
        "org_admin",
        lambda f, c: Req(
            {"organisation_id": f.people.org_id, "user_id": f.membership(MembershipStatus.approved).id},
            json={"is_org_admin": True},
        ),
    ),
    ("DELETE", "/api/v1/organisations/{organisation_id}/members/{user_id}"): (
        "org_admin",
        lambda f, c: Req(
            {"organisation_id": f.people.org_id, "user_id": f.membership(MembershipStatus.pending).id}
        ),
    ),
    ("POST", "/api/v1/themes"): ("admin", lambda f, c: Req(json={"label": "Thème " + uuid.uuid4().hex[:8]})),
    ("PATCH", "/api/v1/themes/{slug}"): (
        "admin",
        lambda f, c: Req(
            {"slug": f.theme().slug}, json={"description": "Données ouvertes des collectivités."}
        ),
    ),
    ("POST", "/api/v1/reports"): (
        "verified",
        lambda f, c: Req(
            json={
                "target_type": "case_study",
                "target_id": f.case(P.published).id,
                "reason": "informations périmées",
            }
        ),
    ),
    ("POST", "/api/v1/reports/{report_id}/resolution"): (
        "moderator",
        lambda f, c: Req({"report_id": f.report().id}, json={"decision": "dismissed"}),
    ),
    # --- web forms ---
    ("POST", "/connexion"): (
        "anyone",
        lambda f, c: Req(
            form={"email": f.people.member.email, "password": PASSWORD, "suivant": "/"}, relogin=True
        ),
    ),
    ("POST", "/deconnexion"): ("anyone", lambda f, c: Req(relogin=True)),
    ("POST", "/inscription"): (
        "anyone",
        lambda f, c: Req(
            form={
                "email": f"i-{uuid.uuid4().hex[:10]}@matrice.fr",
                "display_name": "Inscrit",
                "password": PASSWORD,
                "password_confirm": PASSWORD,
            },
            relogin=True,
        ),
    ),
    ("POST", "/mon-territoire"): ("anyone", lambda f, c: Req(form={"code": "83102"})),
    ("POST", "/mon-territoire/oublier"): ("anyone", lambda f, c: Req()),
    ("POST", "/mot-de-passe-oublie"): ("anyone", lambda f, c: Req(form={"email": "personne@matrice.fr"})),
    ("POST", "/mot-de-passe/nouveau"): (
        "anyone",
        lambda f, c: Req(form={"jeton": "faux", "password": PASSWORD, "password_confirm": PASSWORD}),
    ),
    ("POST", "/compte/verifier/renvoyer"): ("logged_in", lambda f, c: Req()),
    ("POST", "/compte/profil"): (
        "logged_in",
        lambda f, c: Req(form={"display_name": _own_name(f.people, c)}),
    ),
    ("POST", "/compte/supprimer"): ("logged_in", lambda f, c: Req(form={})),  # unconfirmed: 422, kept
    ("POST", "/compte/organisations/demande"): (
        "verified",
        lambda f, c: Req(form={"organisation_id": str(f.organisation().id)}),
    ),
    ("POST", "/compte/organisations/{organisation_id}/membres/{user_id}"): (
        "org_admin",
        lambda f, c: Req(
            {"organisation_id": f.people.org_id, "user_id": f.membership(MembershipStatus.pending).id},
            form={"decision": "accepter"},
        ),
    ),
    ("POST", "/compte/cles"): ("verified", lambda f, c: Req(form={"name": "script", "scopes": "read"})),
    ("POST", "/compte/cles/{key_id}/revoquer"): (
        "logged_in",
        lambda f, c: Req({"key_id": f.key(_own_user_id(f.people, c))}),
    ),
    ("POST", "/publier"): ("verified", lambda f, c: Req(form=_case_form("Matrice " + uuid.uuid4().hex[:8]))),
    ("POST", "/publier/doublons"): ("verified", lambda f, c: Req(form={"title": "Portail citoyen libre"})),
    ("POST", "/publier/apercu"): (
        "verified",
        lambda f, c: Req(form={"preview": "context", "context": "*a*"}),
    ),
    ("POST", "/experiences/{slug}/modifier"): (
        "editor",
        lambda f, c: Req(
            {"slug": f.case().slug}, form=_case_form("Matrice modifiée " + uuid.uuid4().hex[:8])
        ),
    ),
    ("POST", "/experiences/{slug}/etat"): (
        "editor",
        lambda f, c: Req({"slug": f.case().slug}, form={"vers": "submitted"}),
    ),
    ("POST", "/experiences/{slug}/liens/{kind}/{target_id}"): (
        "editor",
        lambda f, c: Req(f.suggested_theme(), form={"action": "confirmer"}),
    ),
    ("POST", "/experiences/{slug}/signaler"): (
        "verified",
        lambda f, c: Req({"slug": f.case(P.published).slug}, form={"reason": "lien mort"}),
    ),
    ("POST", "/moderation/experiences/{case_id}"): (
        "moderator",
        lambda f, c: Req({"case_id": f.case(P.submitted).id}, form={"decision": "publier"}),
    ),
    ("POST", "/moderation/modifications/{revision_id}"): (
        "moderator",
        lambda f, c: Req({"revision_id": f.revision().id}, form={"decision": "approuver"}),
    ),
    ("POST", "/moderation/signalements/{report_id}"): (
        "moderator",
        lambda f, c: Req({"report_id": f.report().id}, form={"decision": "classer"}),
    ),
    ("POST", "/admin/comptes/{user_id}"): (
        "admin",
        lambda f, c: Req({"user_id": f.user().id}, form={"role": "member", "is_active": "oui"}),
    ),
    ("POST", "/admin/cles"): (
        "admin",
        lambda f, c: Req(form={"name": "Partenaire", "scopes": "read", "rate_limit_per_minute": "60"}),
    ),
    ("POST", "/admin/cles/{key_id}/revoquer"): ("admin", lambda f, c: Req({"key_id": f.key(None)})),
}


def _event_form(organisation_id: int) -> dict[str, str]:
    """The web form of an event (/evenements/nouveau, /evenements/{id}/modifier), complete, with a
    programme of one session and its speaker."""
    day = future_start(45).date().isoformat()
    return {
        "title": "Matrice web " + uuid.uuid4().hex[:8],
        "kind": "webinar",
        "start_date": day,
        "start_time": "10:00",
        "end_date": day,
        "end_time": "11:00",
        "timezone": "Europe/Paris",
        "online_url": "https://visio.example.org/matrice",
        "organisation_id": str(organisation_id),
        "s0-title": "Session de la matrice",
        "s0-kind": "talk",
        "s0-p0-name": "Camille Martin",
        "s0-p0-organisation": "Les Interconnectés",
    }


# Events
def _webhook(f: Fixtures, caller: str) -> Req:
    endpoint_id, _ = f.webhook(caller)
    return Req({"webhook_id": endpoint_id})


def _webhook_delivery(f: Fixtures, caller: str) -> Req:
    endpoint_id, delivery_id = f.webhook(caller)
    return Req({"webhook_id": endpoint_id, "delivery_id": delivery_id})


MATRIX.update(
    {
        ("POST", "/api/v1/webhooks"): (
            "keyed",
            lambda f, c: Req(json={"url": "http://127.0.0.1:9/matrice", "event_types": ["case.published"]}),
        ),
        ("DELETE", "/api/v1/webhooks/{webhook_id}"): ("keyed", _webhook),
        ("POST", "/api/v1/webhooks/{webhook_id}/disable"): ("keyed", _webhook),
        ("POST", "/api/v1/webhooks/{webhook_id}/enable"): ("keyed", _webhook),
        ("POST", "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver"): (
            "keyed",
            _webhook_delivery,
        ),
    }
)


MATRIX.update(
    {
        ("POST", "/api/v1/events"): ("organiser", lambda f, c: Req(json=event_payload(f.people.org_id))),
        ("PUT", "/api/v1/events/{event_id}"): (
            "organiser",
            lambda f, c: Req({"event_id": f.event().id}, json=event_payload(f.people.org_id)),
        ),
        ("PUT", "/api/v1/events/{event_id}/attendance"): (
            "verified",
            lambda f, c: Req({"event_id": f.event().id}),
        ),
        ("DELETE", "/api/v1/events/{event_id}/attendance"): (
            "verified",
            lambda f, c: Req({"event_id": f.event().id}),
        ),
        ("POST", "/evenements/{event_id}/participation"): (
            "verified",
            lambda f, c: Req({"event_id": f.event().id}, form={}),
        ),
        ("POST", "/evenements/nouveau"): ("organiser", lambda f, c: Req(form=_event_form(f.people.org_id))),
        ("POST", "/evenements/{event_id}/modifier"): (
            "organiser",
            lambda f, c: Req({"event_id": f.event().id}, form=_event_form(f.people.org_id)),
        ),
    }
)

# Collections
MATRIX.update(
    {
        ("POST", "/api/v1/collections"): (
            "organiser",
            lambda f, c: Req(
                json={"title": "Matrice " + uuid.uuid4().hex[:8], "organisation_id": f.people.org_id}
            ),
        ),
        ("PUT", "/api/v1/collections/{slug}"): (
            "organiser",
            lambda f, c: Req(
                {"slug": f.collection().slug},
                json={"title": "Matrice modifiée", "organisation_id": f.people.org_id},
            ),
        ),
    }
)

# Discussions
MATRIX.update(
    {
        ("POST", "/api/v1/threads"): (
            "verified",
            lambda f, c: Req(
                json={
                    "title": "Question de la matrice",
                    "body": "Comment avez-vous fait ?",
                    "theme": "open-data",
                }
            ),
        ),
        ("POST", "/api/v1/case-studies/{case_id}/threads"): (
            "verified",
            lambda f, c: Req(
                {"case_id": f.case(P.published).id}, json={"title": "Question publique", "body": "Comment ?"}
            ),
        ),
        ("POST", "/api/v1/case-studies/{case_id}/contact"): (
            "verified",
            lambda f, c: Req(
                {"case_id": f.case(P.published).id},
                json={"title": "Question privée", "body": "Bonjour l'équipe"},
            ),
        ),
        ("POST", "/api/v1/threads/{thread_id}/posts"): (
            "verified",
            lambda f, c: Req({"thread_id": f.thread().id}, json={"body": "Une réponse."}),
        ),
        ("PATCH", "/api/v1/posts/{post_id}"): (
            "verified",
            lambda f, c: Req({"post_id": f.post(_own_user_id(f.people, c)).id}, json={"body": "Corrigé."}),
        ),
        ("DELETE", "/api/v1/posts/{post_id}"): (
            "verified",
            lambda f, c: Req({"post_id": f.post(_own_user_id(f.people, c)).id}),
        ),
        ("POST", "/api/v1/posts/{post_id}/moderation"): (
            "moderator",
            lambda f, c: Req(
                {"post_id": f.post(f.people.member.user_id).id}, json={"hidden": True, "reason": "hors sujet"}
            ),
        ),
        ("POST", "/api/v1/me/follows"): (
            "logged_in",
            lambda f, c: Req(json={"target_type": "thread", "target_id": f.thread().id}),
        ),
        ("DELETE", "/api/v1/me/follows/{target_type}/{target_id}"): (
            "logged_in",
            lambda f, c: Req({"target_type": "thread", "target_id": f.thread().id}),
        ),
        ("POST", "/api/v1/me/notifications/read"): ("logged_in", lambda f, c: Req()),
        ("PUT", "/api/v1/me/notification-settings"): (
            "logged_in",
            lambda f, c: Req(json={"email_frequency": "daily"}),
        ),
        ("POST", "/discussions"): (
            "verified",
            lambda f, c: Req(
                form={
                    "title": "Question de la matrice",
                    "body": "Comment avez-vous fait ?",
                    "theme": "open-data",
                }
            ),
        ),
        ("POST", "/experiences/{slug}/questions"): (
            "verified",
            lambda f, c: Req(
                {"slug": f.case(P.published).slug},
                form={"title": "Question de la matrice", "body": "Comment ?"},
            ),
        ),
        ("POST", "/discussions/{thread_id}/reponses"): (
            "verified",
            lambda f, c: Req({"thread_id": f.thread().id}, form={"body": "Une réponse."}),
        ),
        ("POST", "/discussions/{thread_id}/supprimer"): (  # a thread of their own nobody answered
            "verified",
            lambda f, c: Req({"thread_id": f.own_thread(_own_user_id(f.people, c)).id}),
        ),
        ("POST", "/discussions/messages/{post_id}/modifier"): (
            "verified",
            lambda f, c: Req({"post_id": f.post(_own_user_id(f.people, c)).id}, form={"body": "Corrigé."}),
        ),
        ("POST", "/discussions/messages/{post_id}/supprimer"): (
            "verified",
            lambda f, c: Req({"post_id": f.post(_own_user_id(f.people, c)).id}),
        ),
        ("POST", "/discussions/messages/{post_id}/signaler"): (
            "verified",
            lambda f, c: Req(
                {"post_id": f.post(f.people.org_admin.user_id).id}, form={"reason": "propos déplacés"}
            ),
        ),
        ("POST", "/discussions/messages/{post_id}/moderation"): (
            "moderator",
            lambda f, c: Req(
                {"post_id": f.post(f.people.member.user_id).id},
                form={"hidden": "oui", "reason": "hors sujet"},
            ),
        ),
        ("POST", "/suivre"): (
            "logged_in",
            lambda f, c: Req(form={"target_type": "thread", "target_id": str(f.thread().id)}),
        ),
        ("POST", "/notifications/lues"): ("logged_in", lambda f, c: Req()),
        ("POST", "/notifications/frequence"): (
            "logged_in",
            lambda f, c: Req(form={"email_frequency": "weekly"}),
        ),
    }
)

# Pages and reads that show private data (not enumerated: GET routes are mostly public).
SENSITIVE_READS: dict[str, str] = {
    "/evenements/nouveau": "organiser",  # the web form of a new event
    "/evenements/experiences-a-presenter": "organiser",  # its search of the experiences presented
    "/api/v1/users": "admin",
    "/api/v1/api-keys": "admin",
    "/api/v1/webhooks": "keyed",
    "/api/v1/reports": "moderator",
    "/api/v1/moderation/queue": "moderator",
    "/api/v1/moderation/revisions": "moderator",
    "/api/v1/me/export": "logged_in",
    "/moderation": "moderator",
    "/admin": "admin",
    "/compte": "logged_in",
    "/compte/mes-donnees.json": "logged_in",
    "/notifications": "logged_in",
    "/mes-experiences": "logged_in",
    "/api/v1/me/notifications": "logged_in",
    "/api/v1/me/notifications/unread": "logged_in",
}


def mutating_routes(app: FastAPI) -> set[tuple[str, str]]:
    found = set()
    for route in iter_route_contexts(app.routes):
        methods = getattr(route.original_route, "methods", None) or set()
        for method in set(methods) & MUTATING:
            found.add((method, str(route.path)))
    return found


def test_every_mutating_route_is_in_the_matrix(app: FastAPI) -> None:
    routes = mutating_routes(app)
    missing = sorted(routes - MATRIX.keys())
    assert not missing, (
        f"routes with no rule in the authorization matrix (add them with who may call them): {missing}"
    )
    stale = sorted(MATRIX.keys() - routes)
    assert not stale, f"rules for routes that no longer exist: {stale}"


class Callers:
    """One browser (TestClient with its cookies) per kind of caller, logged in once; API calls carry
    the caller's personal key (or the partner's key)."""

    def __init__(self, app: FastAPI, people: People) -> None:
        self.app, self.people = app, people
        self.clients: dict[str, TestClient] = {}
        for caller in CALLERS:
            self.login(caller)

    def login(self, caller: str) -> None:
        client = TestClient(app=self.app)  # no `with`: the app is already started by the `client` fixture
        person = getattr(self.people, caller, None)
        if caller not in ("anonymous", "partner") and person is not None:
            log_in(client, person)
        self.clients[caller] = client

    def api_headers(self, caller: str) -> dict[str, str]:
        if caller == "anonymous":
            return {}
        return self.people.headers(caller)


@pytest.fixture(scope="module")
def callers(app: FastAPI, people: People) -> Iterator[Callers]:
    with TestClient(app):  # runs the app's lifespan once for the whole matrix
        yield Callers(app, people)


@pytest.fixture(scope="module")
def fixtures(seeded_engine: Engine, people: People) -> Iterator[Fixtures]:
    made = Fixtures(seeded_engine, people)
    yield made
    made.remove_webhooks()  # no endpoint of the matrix outlives it


def _refused(response: Any) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    location = response.headers.get("location", "")
    return response.status_code == 303 and location.startswith("/connexion")


@pytest.mark.parametrize(("method", "path"), sorted(MATRIX), ids=[f"{m} {p}" for m, p in sorted(MATRIX)])
def test_authorization_matrix(callers: Callers, fixtures: Fixtures, method: str, path: str) -> None:
    requirement, build = MATRIX[(method, path)]
    wrong: list[str] = []
    for caller in CALLERS:
        req = build(fixtures, caller)
        url = path.format(**req.params)
        client = callers.clients[caller]
        if path.startswith("/api/"):
            response = client.request(method, url, json=req.json, headers=callers.api_headers(caller))
        else:
            form = {
                **(req.form or {}),
                "csrf_token": csrf_from(
                    client.get("/connexion").text
                    if caller in ("anonymous", "partner")
                    else client.get("/compte").text
                ),
            }
            headers = callers.api_headers(caller) if caller == "partner" else {}  # a key opens no web form
            response = client.request(method, url, data=form, headers=headers, follow_redirects=False)
        assert response.status_code < 500, (
            f"{caller} {method} {url}: {response.status_code} {response.text[:300]}"
        )
        expected_allowed = caller in ALLOWED[requirement]
        if _refused(response) == expected_allowed:
            wrong.append(f"{caller}: {response.status_code} {response.text[:120]!r}")
        if req.relogin:
            callers.login(caller)
    assert not wrong, f"{method} {path} ({requirement}) — unexpected outcomes: " + " | ".join(wrong)


@pytest.mark.parametrize("path", sorted(SENSITIVE_READS))
def test_private_pages_and_reads(callers: Callers, path: str) -> None:
    requirement = SENSITIVE_READS[path]
    wrong = []
    for caller in CALLERS:
        client = callers.clients[caller]
        headers = callers.api_headers(caller) if path.startswith("/api/") else {}
        response = client.get(path, headers=headers, follow_redirects=False)
        assert response.status_code < 500
        if _refused(response) == (caller in ALLOWED[requirement]):
            wrong.append(f"{caller}: {response.status_code}")
    assert not wrong, f"GET {path} ({requirement}): " + ", ".join(wrong)


# Reads of one case's edits: its editors and the moderators; a path per fresh case and revision.
REVISION_READS: dict[str, tuple[str, Callable[[Fixtures], str]]] = {
    "revisions of a case": (
        "editor_or_moderator",
        lambda f: f"/api/v1/case-studies/{f.revision().case_study_id}/revisions",
    ),
    "pending version": (
        "editor_or_moderator",
        lambda f: f"/api/v1/case-studies/{f.revision().case_study_id}?version=pending",
    ),
}


@pytest.mark.parametrize("name", sorted(REVISION_READS))
def test_revision_reads(callers: Callers, fixtures: Fixtures, name: str) -> None:
    requirement, build = REVISION_READS[name]
    wrong = []
    for caller in CALLERS:
        path = build(fixtures)
        response = callers.clients[caller].get(path, headers=callers.api_headers(caller))
        assert response.status_code < 500
        if _refused(response) == (caller in ALLOWED[requirement]):
            wrong.append(f"{caller}: {response.status_code}")
    assert not wrong, f"{name} ({requirement}): " + ", ".join(wrong)


def test_only_reviewers_publish_an_edit_of_a_published_case(callers: Callers, fixtures: Fixtures) -> None:
    """Every caller PATCHes a published case: the editors' edit waits for review, an administrator's is
    applied at once (recorded), everybody else is refused; readers never see a member's edit."""
    outcomes = {}
    for caller in CALLERS:
        case = fixtures.case(PublicationState.published)
        response = callers.clients[caller].patch(
            f"/api/v1/case-studies/{case.id}",
            json={"summary": f"Résumé modifié par {caller}."},
            headers=callers.api_headers(caller),
        )
        assert response.status_code < 500
        public = callers.clients["anonymous"].get(f"/api/v1/case-studies/{case.id}").json()["summary"]
        outcomes[caller] = (
            "refused" if _refused(response) else response.json()["version"],
            public == f"Résumé modifié par {caller}.",
        )
    expected = {c: ("refused", False) for c in CALLERS}
    expected |= {"member": ("pending", False), "org_admin": ("pending", False), "admin": ("published", True)}
    assert outcomes == expected


def test_denied_writes_change_nothing(callers: Callers, fixtures: Fixtures) -> None:
    """A refused request leaves no trace: the outsider's edit of another organisation's case."""
    case = fixtures.case(PublicationState.published)
    response = callers.clients["outsider"].patch(
        f"/api/v1/case-studies/{case.id}", json={"title": "Piraté"}, headers=callers.api_headers("outsider")
    )
    assert response.status_code == 403
    with fixtures.factory() as db:
        stored = db.get(CaseStudy, case.id)
        assert stored is not None and stored.title == case.title


@pytest.mark.parametrize("path", sorted(p for m, p in MATRIX if not p.startswith("/api/")))
def test_every_web_form_refuses_a_cross_site_post(callers: Callers, fixtures: Fixtures, path: str) -> None:
    """A form posted from another site carries the browser's cookie but not the page's CSRF token."""
    req = MATRIX[("POST", path)][1](fixtures, "admin")
    client = callers.clients["admin"]
    for token in (None, "jeton-d-un-autre-site"):
        form = dict(req.form or {})
        if token:
            form["csrf_token"] = token
        response = client.post(
            path.format(**req.params),
            data=form,
            follow_redirects=False,
            headers={"Origin": "https://site-malveillant.example"},
        )
        assert response.status_code == 403, (path, response.status_code)
        assert "jeton de sécurité" in response.text
