"""The OpenID Connect client against a real provider (panva's oidc-provider on loopback): the whole
authorization code flow, and each way it must refuse, with a message a person understands."""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from service.accounts.oidc import (
    OidcClient,
    OidcConfig,
    OidcError,
    OidcMisconfigured,
    OidcProviderUnavailable,
    identity_from_claims,
    pkce_challenge,
)
from service.settings import Settings
from tests.support.oidc import (
    AGENT_CLAIMS,
    CLIENT_SECRET,
    LocalProvider,
    client_metadata,
    running_provider,
    sign_in,
)

pytestmark = pytest.mark.nodb

CALLBACK = "http://127.0.0.1:8000/connexion/oidc/retour"
SCOPES = "openid email given_name usual_name siret"


@pytest.fixture(scope="module")
def proconnect(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalProvider]:
    """Like ProConnect: secret in the POST body only, ES256 ID tokens, userinfo as a signed JWT."""
    config = {
        "clientAuthMethods": ["client_secret_post"],
        "clients": [
            client_metadata(
                "retex",
                CALLBACK,
                token_endpoint_auth_method="client_secret_post",
                id_token_signed_response_alg="ES256",
                userinfo_signed_response_alg="RS256",
            ),
            client_metadata("autre-service", CALLBACK, token_endpoint_auth_method="client_secret_post"),
        ],
        "accounts": {
            "agent": AGENT_CLAIMS,
            "sans-siret": {
                "email": "contractuel@example.org",
                "given_name": "Dominique",
                "usual_name": "Roy",
            },
        },
    }
    with running_provider(tmp_path_factory.mktemp("proconnect"), config) as provider:
        yield provider


@pytest.fixture(scope="module")
def generic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalProvider]:
    """A plain provider: HTTP Basic client authentication, RS256, userinfo as JSON, standard family_name."""
    config = {
        "clients": [client_metadata("retex", CALLBACK)],  # client_secret_basic by default
        "accounts": {
            "personne": {"email": "personne@example.org", "given_name": "Alex", "family_name": "Durand"},
        },
    }
    with running_provider(tmp_path_factory.mktemp("generic"), config) as provider:
        yield provider


def client_for(provider: LocalProvider, client_id: str = "retex", **changes: object) -> OidcClient:
    config = OidcConfig(
        issuer=provider.issuer, client_id=client_id, client_secret=CLIENT_SECRET, scopes=SCOPES
    )
    return OidcClient(replace(config, **changes))  # type: ignore[arg-type]


def test_proconnect_like_login_gives_the_agent_and_the_siret(proconnect: LocalProvider) -> None:
    discovery_calls: list[str] = []

    def count(request: httpx.Request) -> None:
        if request.url.path.endswith("/openid-configuration"):
            discovery_calls.append(str(request.url))

    http = httpx.Client(timeout=10, event_hooks={"request": [count]})
    client = OidcClient(
        OidcConfig(issuer=proconnect.issuer, client_id="retex", client_secret=CLIENT_SECRET, scopes=SCOPES),
        http=http,
    )
    pending = client.start_login(CALLBACK)
    query = parse_qs(urlsplit(pending.url).query)
    assert pending.url.startswith(f"{proconnect.issuer}/auth?")
    assert query["client_id"] == ["retex"] and query["redirect_uri"] == [CALLBACK]
    assert query["scope"] == [SCOPES] and query["response_type"] == ["code"]
    assert query["state"] == [pending.state] and query["nonce"] == [pending.nonce]
    assert query["code_challenge_method"] == ["S256"]
    assert query["code_challenge"] == [pkce_challenge(pending.code_verifier)] != [pending.code_verifier]
    assert client.start_login(CALLBACK).state != pending.state, "every login gets its own state"

    params = sign_in(pending.url, CALLBACK, "agent")
    identity = client.finish_login(pending, params)

    assert identity.issuer == proconnect.issuer and identity.subject == "agent"
    assert identity.email == "camille.agent@draguignan.fr" and identity.email_verified
    assert (identity.given_name, identity.family_name) == ("Camille", "Martin")
    assert identity.siret == "21830050700019" and identity.siren == "218300507"
    assert len(discovery_calls) == 1, "the discovery document is cached"
    http.close()


def test_agent_without_siret_logs_in_without_organisation(proconnect: LocalProvider) -> None:
    client = client_for(proconnect)
    pending = client.start_login(CALLBACK)
    identity = client.finish_login(pending, sign_in(pending.url, CALLBACK, "sans-siret"))
    assert identity.siret is None and identity.siren is None
    assert identity.email == "contractuel@example.org" and identity.display_name == "Dominique Roy"
    assert not identity.email_verified, "no email_verified claim: not verified unless configured to trust"


def test_generic_provider_with_basic_auth_and_json_userinfo(generic: LocalProvider) -> None:
    client = client_for(generic, trust_email=True, scopes="openid email profile")
    assert client.metadata().token_auth_methods[0] == "client_secret_basic"
    pending = client.start_login(CALLBACK)
    identity = client.finish_login(pending, sign_in(pending.url, CALLBACK, "personne"))
    assert (identity.subject, identity.email, identity.family_name) == (
        "personne",
        "personne@example.org",
        "Durand",
    )
    assert identity.email_verified, "RETEX_OIDC_TRUST_EMAIL vouches for the address"
    assert identity.siret is None


def test_state_mismatch_is_refused_before_the_code_is_spent(proconnect: LocalProvider) -> None:
    client = client_for(proconnect)
    pending = client.start_login(CALLBACK)
    params = sign_in(pending.url, CALLBACK, "agent")
    other_tab = client.start_login(CALLBACK)
    with pytest.raises(OidcError, match="ne correspond pas à votre demande de connexion"):
        client.finish_login(other_tab, params)
    with pytest.raises(OidcError, match="ne correspond pas"):
        client.finish_login(pending, {**params, "state": ""})
    assert client.finish_login(pending, params).subject == "agent", "the refused callback spent nothing"


def test_response_naming_another_issuer_is_refused(proconnect: LocalProvider) -> None:
    client = client_for(proconnect)
    pending = client.start_login(CALLBACK)
    params = sign_in(pending.url, CALLBACK, "agent")
    assert params["iss"] == proconnect.issuer, "the provider names itself (RFC 9207)"
    with pytest.raises(OidcError, match="ne vient pas de ProConnect"):
        client.finish_login(pending, {**params, "iss": "https://idp.example.net"})
    without_iss = {k: v for k, v in params.items() if k != "iss"}
    with pytest.raises(OidcError, match="ne vient pas de ProConnect"):
        client.finish_login(pending, without_iss)


def test_wrong_nonce_is_refused(proconnect: LocalProvider) -> None:
    client = client_for(proconnect)
    pending = client.start_login(CALLBACK)
    params = sign_in(pending.url, CALLBACK, "agent")
    with pytest.raises(OidcError, match=r"nonce"):
        client.finish_login(replace(pending, nonce="un-autre-nonce"), params)


def _tamper(token: str, **claims: object) -> str:
    header, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data.update(claims)
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    return f"{header}.{forged}.{signature}"


def test_tampered_or_forged_id_tokens_are_refused(proconnect: LocalProvider) -> None:
    client = client_for(proconnect)
    pending = client.start_login(CALLBACK)
    tokens = client.exchange_code(
        pending, client.check_callback(pending, sign_in(pending.url, CALLBACK, "agent"))
    )
    claims = client.verify_id_token(tokens.id_token, nonce=pending.nonce)
    assert claims["sub"] == "agent" and claims["aud"] == "retex"

    with pytest.raises(OidcError, match="pas une signature valide"):
        client.verify_id_token(_tamper(tokens.id_token, sub="admin"), nonce=pending.nonce)

    header = json.loads(base64.urlsafe_b64decode(tokens.id_token.split(".")[0] + "=="))
    attacker_key = RSAKey.generate_key(2048)
    forged = jwt.encode({"alg": "RS256", "kid": header["kid"]}, {**claims, "sub": "admin"}, attacker_key)
    with pytest.raises(OidcError, match="pas une signature valide"):
        client.verify_id_token(forged, nonce=pending.nonce)

    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64({**claims, 'sub': 'admin'})}."
    with pytest.raises(OidcError, match="pas une signature valide"):
        client.verify_id_token(unsigned, nonce=pending.nonce)


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_id_token_issued_to_another_client_is_refused(proconnect: LocalProvider) -> None:
    other = client_for(proconnect, client_id="autre-service")
    pending = other.start_login(CALLBACK)
    tokens = other.exchange_code(
        pending, other.check_callback(pending, sign_in(pending.url, CALLBACK, "agent"))
    )
    with pytest.raises(OidcError, match="n'est pas destiné à Retex"):
        client_for(proconnect).verify_id_token(tokens.id_token, nonce=pending.nonce)


def test_code_cannot_be_replayed_nor_used_without_the_pkce_verifier(proconnect: LocalProvider) -> None:
    client = client_for(proconnect)
    pending = client.start_login(CALLBACK)
    params = sign_in(pending.url, CALLBACK, "agent")
    with pytest.raises(OidcError, match="a refusé le code de connexion"):
        client.finish_login(replace(pending, code_verifier="x" * 64), params)

    pending = client.start_login(CALLBACK)
    params = sign_in(pending.url, CALLBACK, "agent")
    client.finish_login(pending, params)
    with pytest.raises(OidcError, match="déjà utilisé ou expiré"):
        client.finish_login(pending, params)


def test_cancelling_at_the_provider_says_so(proconnect: LocalProvider) -> None:
    client = client_for(proconnect)
    pending = client.start_login(CALLBACK)
    params = sign_in(pending.url, CALLBACK, "agent", cancel=True)
    assert params["error"] == "access_denied"
    with pytest.raises(OidcError, match="La connexion avec ProConnect a été annulée"):
        client.finish_login(pending, params)


def test_wrong_client_secret_is_an_administrator_problem(proconnect: LocalProvider) -> None:
    client = client_for(proconnect, client_secret="pas-le-bon-secret")
    pending = client.start_login(CALLBACK)
    with pytest.raises(OidcMisconfigured, match="ne reconnaît pas Retex") as caught:
        client.finish_login(pending, sign_in(pending.url, CALLBACK, "agent"))
    assert caught.value.status_code == 502


def test_issuer_that_does_not_match_discovery_is_refused(proconnect: LocalProvider) -> None:
    client = client_for(proconnect, issuer=proconnect.issuer + "/")
    with pytest.raises(OidcMisconfigured, match="RETEX_OIDC_ISSUER"):
        client.start_login(CALLBACK)


def test_unreachable_provider_is_a_clear_503(tmp_path: Path) -> None:
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = OidcClient(
        OidcConfig(issuer=f"http://127.0.0.1:{port}", client_id="retex", client_secret="s", scopes=SCOPES)
    )
    with pytest.raises(OidcProviderUnavailable, match="ProConnect ne répond pas pour le moment") as caught:
        client.start_login(CALLBACK)
    assert caught.value.status_code == 503


def test_identity_keeps_only_a_well_formed_siret_and_needs_an_email() -> None:
    base = {"sub": "x", "email": " Agent@Mairie.fr "}
    spaced = identity_from_claims({**base, "siret": "218 300 507 00019"}, issuer="i", label="ProConnect")
    assert spaced.siret == "21830050700019" and spaced.email == "agent@mairie.fr"
    assert identity_from_claims({**base, "siret": "2183005"}, issuer="i", label="P").siret is None
    assert identity_from_claims({**base, "siret": 21830050700019}, issuer="i", label="P").siret is None
    with pytest.raises(OidcError, match="adresse e-mail"):
        identity_from_claims({"sub": "x"}, issuer="i", label="ProConnect")


def test_oidc_is_off_without_issuer_and_refused_when_half_configured(tmp_path: Path) -> None:
    assert OidcConfig.from_settings(Settings(data_dir=tmp_path)) is None
    with pytest.raises(ValueError, match="RETEX_OIDC_CLIENT_ID"):
        OidcConfig.from_settings(Settings(data_dir=tmp_path, oidc_issuer="https://idp.example.fr"))
    settings = Settings(
        data_dir=tmp_path, oidc_issuer="https://idp.example.fr", oidc_client_id="c", oidc_client_secret="s"
    )
    config = OidcConfig.from_settings(settings)
    assert config is not None and config.scopes == "openid email given_name usual_name siret"
    assert config.label == "ProConnect"
