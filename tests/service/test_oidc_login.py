"""Who an OpenID Connect identity logs in as, and which organisation it joins (on SQLite and PostgreSQL,
with the seeded territories and organisations)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from service.accounts.api_keys import create_api_key
from service.accounts.login import BadCredentials, LoginLimits, authenticate
from service.accounts.models import Membership, MembershipStatus, User, UserSession
from service.accounts.oidc import OidcError, OidcIdentity
from service.accounts.oidc_login import OidcAccountConflict, user_for_identity
from service.accounts.passwords import hash_password
from service.accounts.sessions import start_session
from service.authz.principal import Scope
from service.db.base import utcnow
from service.organisations.models import Organisation, OrganisationKind
from service.territories.models import Territory

ISSUER = "https://proconnect.example.gouv.fr/api/v2"


def agent(
    subject: str = "sub-1", *, email: str = "agent@mairie.fr", verified: bool = True, siret: str | None = None
) -> OidcIdentity:
    return OidcIdentity(
        issuer=ISSUER,
        subject=subject,
        email=email,
        email_verified=verified,
        given_name="Camille",
        family_name="Martin",
        siret=siret,
    )


def siret_of(session: Session, territory_code: str) -> str:
    territory = session.scalar(select(Territory).where(Territory.code == territory_code))
    assert territory is not None and territory.siren
    return territory.siren + "00017"


def organisations_of(session: Session, user: User) -> list[tuple[str, MembershipStatus]]:
    rows = session.execute(
        select(Organisation.name, Membership.status)
        .join(Membership, Membership.organisation_id == Organisation.id)
        .where(Membership.user_id == user.id)
        .order_by(Organisation.name)
    )
    return [(name, status) for name, status in rows]


def test_new_agent_gets_a_passwordless_account_in_the_organisation_of_its_commune(
    session: Session, seeded_engine: Engine
) -> None:
    identity = agent(siret=siret_of(session, "75056"))  # Paris: the seeded "Ville de Paris"
    user = user_for_identity(session, identity)

    assert (user.email, user.display_name, user.password_hash) == ("agent@mairie.fr", "Camille Martin", "")
    assert (user.oidc_issuer, user.oidc_subject) == (ISSUER, "sub-1")
    assert user.email_verified_at is not None
    assert organisations_of(session, user) == [("Ville de Paris", MembershipStatus.approved)]

    again = user_for_identity(session, identity)
    assert again.id == user.id, "the next login finds the same account"
    assert session.scalar(select(func.count()).select_from(User).where(User.email == "agent@mairie.fr")) == 1
    assert organisations_of(session, user) == [("Ville de Paris", MembershipStatus.approved)], "no duplicate"

    paris = session.scalar(select(Organisation).where(Organisation.name == "Ville de Paris"))
    assert paris is not None and paris.siren == identity.siren, "matched by territory, then remembered"

    session.commit()
    try:
        with pytest.raises(BadCredentials):
            authenticate(
                session,
                email="agent@mairie.fr",
                password="",
                ip="127.0.0.9",
                limits=LoginLimits(per_account=100, per_ip=100),
            )
    finally:
        session.delete(user)
        paris.siren = None
        session.commit()


def test_a_collectivite_without_organisation_gets_one_shared_by_its_agents(session: Session) -> None:
    # A commune of the Var that no seeded organisation represents (the seeds give some communes one).
    represented = select(Organisation.territory_id).where(Organisation.territory_id.is_not(None))
    commune = session.scalar(
        select(Territory)
        .where(Territory.code.like("83%"), Territory.siren.is_not(None), Territory.id.not_in(represented))
        .order_by(Territory.code)
    )
    assert commune is not None
    siret = siret_of(session, commune.code)
    first = user_for_identity(session, agent("a", email="a@mairie.fr", siret=siret))
    second = user_for_identity(session, agent("b", email="b@mairie.fr", siret=siret[:9] + "00025"))

    created = session.scalars(select(Organisation).where(Organisation.siren == siret[:9])).all()
    assert len(created) == 1
    organisation = created[0]
    assert (organisation.name, organisation.kind) == (commune.name, OrganisationKind.collectivite)
    assert organisation.territory is not None and organisation.territory.code == commune.code
    assert organisations_of(session, first) == organisations_of(session, second)
    assert organisations_of(session, first) == [(commune.name, MembershipStatus.approved)]


def test_an_epci_agent_joins_the_organisation_of_its_intercommunality(session: Session) -> None:
    user = user_for_identity(session, agent(siret="200056232" + "00010"))  # CA Paris-Saclay's SIREN
    assert organisations_of(session, user) == [
        ("Communauté d'agglomération Paris-Saclay", MembershipStatus.approved)
    ]


def test_an_organisation_with_its_own_siren_comes_first(session: Session) -> None:
    own = Organisation(slug="atelier-numerique", name="Atelier numérique", kind=OrganisationKind.association)
    own.siren = "123456789"
    session.add(own)
    session.flush()
    user = user_for_identity(session, agent(siret="12345678900014"))
    assert organisations_of(session, user) == [("Atelier numérique", MembershipStatus.approved)]


def test_an_unknown_siret_gives_an_account_without_organisation(session: Session) -> None:
    user = user_for_identity(session, agent(siret="99999999900011"))
    assert user.id is not None and organisations_of(session, user) == []
    unknown = select(func.count()).select_from(Organisation).where(Organisation.siren == "999999999")
    assert session.scalar(unknown) == 0


def test_a_pending_request_is_approved_by_the_provider(session: Session) -> None:
    paris = session.scalar(select(Organisation).where(Organisation.name == "Ville de Paris"))
    assert paris is not None
    user = User(email="agent@mairie.fr", display_name="Camille", password_hash=hash_password("x" * 12))
    session.add(user)
    session.flush()
    session.add(Membership(user_id=user.id, organisation_id=paris.id, status=MembershipStatus.pending))
    session.flush()
    assert user_for_identity(session, agent(siret=siret_of(session, "75056"))).id == user.id
    assert organisations_of(session, user) == [("Ville de Paris", MembershipStatus.approved)]


def test_an_existing_account_is_linked_only_when_the_provider_vouches_for_the_email(session: Session) -> None:
    password_hash = hash_password("un mot de passe solide")
    user = User(
        email="agent@mairie.fr",
        display_name="Camille",
        password_hash=password_hash,
        email_verified_at=utcnow(),
    )
    session.add(user)
    session.flush()

    with pytest.raises(OidcAccountConflict, match="ne garantit pas cette adresse") as caught:
        user_for_identity(session, agent(verified=False), label="ProConnect")
    assert caught.value.status_code == 409 and user.oidc_subject is None

    linked = user_for_identity(session, agent(verified=True))
    assert linked.id == user.id and (linked.oidc_issuer, linked.oidc_subject) == (ISSUER, "sub-1")
    assert linked.password_hash == password_hash, "the password keeps working"
    assert linked.email_verified_at is not None

    renamed = user_for_identity(session, agent(email="nouvelle.adresse@mairie.fr", verified=False))
    assert renamed.id == user.id, "found by its provider account, whatever the address says now"

    with pytest.raises(OidcAccountConflict, match="déjà lié à un autre compte"):
        user_for_identity(session, agent("another-subject", verified=True))


def test_finding_high2_oidc_takes_over_an_unverified_account_cleanly(session: Session) -> None:
    """High 2: an intruder registers agent@mairie.fr (never verified) with a password, logs in and makes
    a personal key; when the real agent signs in with the provider, the intruder loses everything."""
    intruder_password = "le mot de passe de l'intrus"
    user = User(
        email="agent@mairie.fr", display_name="Intrus", password_hash=hash_password(intruder_password)
    )
    session.add(user)
    session.flush()
    start_session(session, user, days=14)
    key, _secret = create_api_key(
        session, name="clé de l'intrus", scopes=frozenset({Scope.read}), rate_limit_per_minute=60,
        user_id=user.id, created_by_id=user.id,
    )  # fmt: skip
    paris = session.scalar(select(Organisation).where(Organisation.name == "Ville de Paris"))
    assert paris is not None
    session.add(Membership(user_id=user.id, organisation_id=paris.id, status=MembershipStatus.approved))
    session.flush()

    linked = user_for_identity(session, agent())

    assert linked.id == user.id and linked.oidc_subject == "sub-1"
    assert linked.password_hash == "", "the intruder's password no longer works (no password at all)"
    sessions = select(func.count()).select_from(UserSession).where(UserSession.user_id == user.id)
    assert session.scalar(sessions) == 0, "the intruder's browsers are logged out"
    session.refresh(key)
    assert key.revoked_at is not None, "the intruder's key is revoked"
    assert organisations_of(session, user) == [], "the intruder's memberships are withdrawn"
    assert linked.display_name == "Camille Martin" and linked.email_verified_at is not None


def test_a_deactivated_account_cannot_log_in(session: Session) -> None:
    user = user_for_identity(session, agent())
    user.is_active = False
    with pytest.raises(OidcError, match="désactivé") as caught:
        user_for_identity(session, agent())
    assert caught.value.status_code == 403
