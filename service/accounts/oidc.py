"""Login through an OpenID Connect provider (ProConnect for French public agents), as a small client.

The flow is the authorization code flow with PKCE (S256), a `state` against cross-site request forgery and
a `nonce` bound to the ID token:

    client = OidcClient(config)
    pending = client.start_login(redirect_uri)       # keep pending in the browser's session, send it to .url
    identity = client.finish_login(pending, params)  # params: the query string of the callback

`finish_login` checks the callback (state, RFC 9207 `iss`, provider error), exchanges the code at the token
endpoint (client_secret_basic or client_secret_post, as the provider advertises), verifies the ID token
(signature against the provider's JWKS, iss, aud/azp, exp, iat, nonce), reads userinfo (JSON, or a signed JWT
as ProConnect sends it) and returns an `OidcIdentity`. Every failure is an `OidcError` whose message tells
the person, in French, what happened and what to do; the technical detail goes to the log.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from joserfc import jwt
from joserfc.errors import (
    ClaimError,
    ExpiredTokenError,
    InvalidKeyIdError,
    JoseError,
)
from joserfc.jwk import KeySet

from service.accounts.validation import clean_email
from service.api.errors import DomainError, InvalidFieldError
from service.settings import Settings

logger = logging.getLogger(__name__)

# Asymmetric signatures only: never "none", never HS256 keyed with the client secret.
SIGNING_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)
CLOCK_LEEWAY_SECONDS = 60
METADATA_TTL_SECONDS = 3600
_SIRET = re.compile(r"^\d{14}$")

RETRY = "Recommencez la connexion."


class OidcError(DomainError):
    """The login through the provider failed; the message tells the person why, in French."""

    status_code = 400


class OidcProviderUnavailable(OidcError):
    """The provider did not answer, or answered nonsense: nothing the person can fix but wait."""

    status_code = 503


class OidcMisconfigured(OidcError):
    """Retex and the provider disagree on the client's registration: for the administrator."""

    status_code = 502


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    client_id: str
    client_secret: str
    scopes: str
    label: str = "ProConnect"
    trust_email: bool = False
    redirect_uri: str | None = None
    timeout_seconds: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> OidcConfig | None:
        """None when OIDC is off (no issuer); a clear error when it is half configured."""
        if not settings.oidc_issuer:
            return None
        if not (settings.oidc_client_id and settings.oidc_client_secret):
            raise ValueError(
                "RETEX_OIDC_ISSUER est défini : RETEX_OIDC_CLIENT_ID et RETEX_OIDC_CLIENT_SECRET aussi"
            )
        if "openid" not in settings.oidc_scopes.split():
            raise ValueError("RETEX_OIDC_SCOPES doit contenir « openid »")
        return cls(
            issuer=settings.oidc_issuer,
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret,
            scopes=settings.oidc_scopes,
            label=settings.oidc_label,
            trust_email=settings.oidc_trust_email,
            redirect_uri=settings.oidc_redirect_uri,
            timeout_seconds=settings.oidc_timeout_seconds,
        )


@dataclass(frozen=True)
class ProviderMetadata:
    """The parts of the discovery document Retex uses."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    token_auth_methods: tuple[str, ...]
    id_token_algorithms: tuple[str, ...]
    userinfo_algorithms: tuple[str, ...]
    iss_parameter_supported: bool


@dataclass(frozen=True)
class PendingLogin:
    """What the browser's session keeps between the redirect to the provider and the callback."""

    url: str
    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str

    def to_dict(self) -> dict[str, str]:
        return {
            "state": self.state,
            "nonce": self.nonce,
            "code_verifier": self.code_verifier,
            "redirect_uri": self.redirect_uri,
        }

    @classmethod
    def from_dict(cls, data: object) -> PendingLogin | None:
        if not isinstance(data, dict):
            return None
        values = [data.get(k) for k in ("state", "nonce", "code_verifier", "redirect_uri")]
        if not all(isinstance(v, str) and v for v in values):
            return None
        state, nonce, verifier, redirect_uri = (str(v) for v in values)
        return cls(url="", state=state, nonce=nonce, code_verifier=verifier, redirect_uri=redirect_uri)


@dataclass(frozen=True)
class TokenSet:
    id_token: str
    access_token: str | None


@dataclass(frozen=True)
class OidcIdentity:
    issuer: str
    subject: str
    email: str
    email_verified: bool
    given_name: str | None
    family_name: str | None
    siret: str | None

    @property
    def siren(self) -> str | None:
        """The organisation's SIREN: the first 9 digits of the establishment's SIRET."""
        return self.siret[:9] if self.siret else None

    @property
    def display_name(self) -> str:
        name = " ".join(p for p in (self.given_name, self.family_name) if p)
        return name or self.email.split("@")[0]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def pkce_challenge(verifier: str) -> str:
    """RFC 7636 S256: BASE64URL(SHA256(ASCII(code_verifier)))."""
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def _text_claim(claims: Mapping[str, Any], *names: str) -> str | None:
    for name in names:
        value = claims.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def identity_from_claims(
    claims: Mapping[str, Any], *, issuer: str, label: str, trust_email: bool = False
) -> OidcIdentity:
    """The identity Retex keeps from the merged ID token and userinfo claims."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise OidcError(f"{label} n'a pas transmis d'identifiant de compte. {RETRY}")
    try:
        email = clean_email(_text_claim(claims, "email") or "")  # the same rule as registration
    except InvalidFieldError:
        raise OidcError(
            f"{label} n'a pas transmis d'adresse e-mail valide : Retex en a besoin pour votre compte. "
            "Vérifiez que vous avez accepté de la partager."
        ) from None
    siret = re.sub(r"\s", "", _text_claim(claims, "siret") or "")
    return OidcIdentity(
        issuer=issuer,
        subject=subject,
        email=email,
        email_verified=claims.get("email_verified") is True or trust_email,
        given_name=_text_claim(claims, "given_name"),
        # ProConnect calls the family name "usual_name".
        family_name=_text_claim(claims, "usual_name", "family_name"),
        siret=siret if _SIRET.match(siret) else None,
    )


_CLAIM_MESSAGES = {
    "iss": "Le jeton d'identité ne vient pas du fournisseur attendu.",
    "aud": "Le jeton d'identité n'est pas destiné à Retex.",
    "azp": "Le jeton d'identité n'est pas destiné à Retex.",
    "nonce": "Le jeton d'identité ne correspond pas à cette demande de connexion (nonce).",
    "exp": "Le jeton d'identité a expiré.",
    "iat": "Le jeton d'identité n'a pas de date d'émission valide.",
    "sub": "Le jeton d'identité ne désigne aucun compte.",
}


class OidcClient:
    """One provider, one registered client. Thread-safe; discovery and keys are cached."""

    def __init__(self, config: OidcConfig, *, http: httpx.Client | None = None) -> None:
        self.config = config
        self._http = http or httpx.Client(timeout=config.timeout_seconds, follow_redirects=False)
        self._owns_http = http is None
        self._lock = threading.Lock()
        self._metadata: ProviderMetadata | None = None
        self._metadata_at = 0.0
        self._keys: KeySet | None = None

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    @property
    def label(self) -> str:
        return self.config.label

    # --- talking to the provider ------------------------------------------------------------------------

    def _call(self, method: str, url: str, what: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            logger.warning("OIDC %s: %s %s failed: %r", what, method, url, exc)
            raise OidcProviderUnavailable(
                f"{self.label} ne répond pas pour le moment. Réessayez dans quelques minutes."
            ) from exc

    def _json(self, response: httpx.Response, what: str) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            logger.warning(
                "OIDC %s: HTTP %s, not a JSON object: %.200r", what, response.status_code, response.text
            )
            raise OidcProviderUnavailable(
                f"{self.label} a répondu de façon inattendue. Réessayez dans quelques minutes."
            )
        return data

    def metadata(self) -> ProviderMetadata:
        """The discovery document, fetched once an hour at most."""
        with self._lock:
            if self._metadata and time.monotonic() - self._metadata_at < METADATA_TTL_SECONDS:
                return self._metadata
        url = self.config.issuer.rstrip("/") + "/.well-known/openid-configuration"
        response = self._call("GET", url, "discovery")
        if response.status_code != 200:
            logger.warning("OIDC discovery: HTTP %s at %s", response.status_code, url)
            raise OidcProviderUnavailable(
                f"{self.label} ne répond pas pour le moment. Réessayez dans quelques minutes."
            )
        doc = self._json(response, "discovery")
        # OpenID Connect Discovery 1.0, section 4.3: the document must name exactly the configured issuer.
        if doc.get("issuer") != self.config.issuer:
            logger.error("OIDC discovery: issuer %r, expected %r", doc.get("issuer"), self.config.issuer)
            raise OidcMisconfigured(
                f"{self.label} s'annonce sous une autre adresse que celle configurée (RETEX_OIDC_ISSUER) : "
                "signalez-le à l'administrateur de Retex."
            )
        endpoints = {k: doc.get(k) for k in ("authorization_endpoint", "token_endpoint", "jwks_uri")}
        if not all(isinstance(v, str) and v.startswith(("https://", "http://")) for v in endpoints.values()):
            raise OidcProviderUnavailable(
                f"{self.label} a répondu de façon inattendue (découverte incomplète)."
            )
        userinfo = doc.get("userinfo_endpoint")
        metadata = ProviderMetadata(
            issuer=self.config.issuer,
            authorization_endpoint=str(endpoints["authorization_endpoint"]),
            token_endpoint=str(endpoints["token_endpoint"]),
            jwks_uri=str(endpoints["jwks_uri"]),
            userinfo_endpoint=userinfo if isinstance(userinfo, str) and userinfo else None,
            token_auth_methods=tuple(
                doc.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
            ),
            id_token_algorithms=tuple(doc.get("id_token_signing_alg_values_supported") or ["RS256"]),
            userinfo_algorithms=tuple(doc.get("userinfo_signing_alg_values_supported") or []),
            iss_parameter_supported=doc.get("authorization_response_iss_parameter_supported") is True,
        )
        with self._lock:
            self._metadata, self._metadata_at = metadata, time.monotonic()
        return metadata

    def _key_set(self, *, refresh: bool = False) -> KeySet:
        with self._lock:
            if self._keys is not None and not refresh:
                return self._keys
        response = self._call("GET", self.metadata().jwks_uri, "jwks")
        if response.status_code != 200:
            raise OidcProviderUnavailable(f"{self.label} ne publie pas ses clés de signature pour le moment.")
        try:
            keys = KeySet.import_key_set(self._json(response, "jwks"))  # type: ignore[arg-type]
        except (JoseError, ValueError, KeyError, TypeError) as exc:
            logger.warning("OIDC jwks: unusable key set: %r", exc)
            raise OidcProviderUnavailable(f"{self.label} publie des clés de signature illisibles.") from exc
        with self._lock:
            self._keys = keys
        return keys

    # --- the flow -----------------------------------------------------------------------------------------

    def start_login(self, redirect_uri: str) -> PendingLogin:
        """A fresh authorization request; the caller keeps it (minus the URL) in the browser's session."""
        metadata = self.metadata()
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(48)
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.config.client_id,
                "redirect_uri": redirect_uri,
                "scope": self.config.scopes,
                "state": state,
                "nonce": nonce,
                "code_challenge": pkce_challenge(verifier),
                "code_challenge_method": "S256",
            }
        )
        separator = "&" if "?" in metadata.authorization_endpoint else "?"
        return PendingLogin(
            url=f"{metadata.authorization_endpoint}{separator}{query}",
            state=state,
            nonce=nonce,
            code_verifier=verifier,
            redirect_uri=redirect_uri,
        )

    def finish_login(self, pending: PendingLogin, params: Mapping[str, str]) -> OidcIdentity:
        code = self.check_callback(pending, params)
        tokens = self.exchange_code(pending, code)
        claims = self.verify_id_token(tokens.id_token, nonce=pending.nonce)
        if self.metadata().userinfo_endpoint and tokens.access_token:
            claims = {**claims, **self.fetch_userinfo(tokens.access_token, subject=claims["sub"])}
        return identity_from_claims(
            claims, issuer=self.config.issuer, label=self.label, trust_email=self.config.trust_email
        )

    def check_callback(self, pending: PendingLogin, params: Mapping[str, str]) -> str:
        """The authorization code, once the callback is known to answer our own request."""
        state = params.get("state") or ""
        if not hmac.compare_digest(state.encode(), pending.state.encode()):
            raise OidcError(
                f"La réponse de {self.label} ne correspond pas à votre demande de connexion "
                f"(elle a peut-être expiré, ou vient d'un autre onglet). {RETRY}"
            )
        # RFC 9207: the response names its issuer, so a response from another provider cannot pass for it.
        iss = params.get("iss")
        if (iss is not None or self.metadata().iss_parameter_supported) and iss != self.config.issuer:
            raise OidcError(f"La réponse ne vient pas de {self.label}. {RETRY}")
        error = params.get("error")
        if error:
            logger.info("OIDC callback error %r: %.300r", error, params.get("error_description"))
            if error == "access_denied":
                raise OidcError(f"La connexion avec {self.label} a été annulée.")
            raise OidcError(f"{self.label} a refusé la connexion (code « {error[:60]} »). {RETRY}")
        code = params.get("code")
        if not code:
            raise OidcError(f"La réponse de {self.label} ne contient pas de code de connexion. {RETRY}")
        return code

    def exchange_code(self, pending: PendingLogin, code: str) -> TokenSet:
        metadata = self.metadata()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": pending.redirect_uri,
            "code_verifier": pending.code_verifier,
        }
        headers = {"Accept": "application/json"}
        if "client_secret_basic" in metadata.token_auth_methods:
            # RFC 6749, section 2.3.1: id and secret are form-encoded before being joined and base64-encoded.
            pair = f"{quote(self.config.client_id, safe='')}:{quote(self.config.client_secret, safe='')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        elif "client_secret_post" in metadata.token_auth_methods:
            form |= {"client_id": self.config.client_id, "client_secret": self.config.client_secret}
        else:
            raise OidcMisconfigured(
                f"{self.label} n'accepte ni client_secret_basic ni client_secret_post : "
                "signalez-le à l'administrateur de Retex."
            )
        response = self._call("POST", metadata.token_endpoint, "token", data=form, headers=headers)
        body = self._json(response, "token")
        if response.status_code != 200:
            error = str(body.get("error", ""))
            logger.warning(
                "OIDC token: HTTP %s %r: %.300r", response.status_code, error, body.get("error_description")
            )
            if error == "invalid_client":
                raise OidcMisconfigured(
                    f"{self.label} ne reconnaît pas Retex (identifiant ou secret du client) : "
                    "signalez-le à l'administrateur de Retex."
                )
            raise OidcError(f"{self.label} a refusé le code de connexion (déjà utilisé ou expiré). {RETRY}")
        id_token, access_token = body.get("id_token"), body.get("access_token")
        if not isinstance(id_token, str) or not id_token:
            raise OidcError(f"{self.label} n'a pas renvoyé de jeton d'identité. {RETRY}")
        if access_token is not None and str(body.get("token_type", "")).lower() != "bearer":
            raise OidcProviderUnavailable(f"{self.label} a renvoyé un jeton d'accès d'un type inconnu.")
        return TokenSet(
            id_token=id_token, access_token=access_token if isinstance(access_token, str) else None
        )

    def _decode_signed(self, token: str, algorithms: tuple[str, ...], what: str) -> dict[str, Any]:
        """A JWS verified against the provider's keys (fetched again once if the key id is new)."""
        allowed = [a for a in algorithms if a in SIGNING_ALGORITHMS] or ["RS256"]
        for refresh in (False, True):
            try:
                return jwt.decode(token, self._key_set(refresh=refresh), algorithms=allowed).claims
            except InvalidKeyIdError:
                if refresh:
                    break
            except (JoseError, ValueError) as exc:
                logger.warning("OIDC %s: rejected signature: %r", what, exc)
                break
        raise OidcError(f"Le jeton reçu de {self.label} n'a pas une signature valide. {RETRY}")

    def verify_id_token(self, id_token: str, *, nonce: str) -> dict[str, Any]:
        """The ID token's claims, after OpenID Connect Core 1.0, section 3.1.3.7."""
        claims = self._decode_signed(id_token, self.metadata().id_token_algorithms, "id_token")
        registry = jwt.JWTClaimsRegistry(
            leeway=CLOCK_LEEWAY_SECONDS,
            iss={"essential": True, "value": self.config.issuer},
            aud={"essential": True, "value": self.config.client_id},
            exp={"essential": True},
            iat={"essential": True},
            sub={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            registry.validate(claims)
        except ExpiredTokenError as exc:
            raise OidcError(f"{_CLAIM_MESSAGES['exp']} {RETRY}") from exc
        except ClaimError as exc:
            names = exc.claim.split(",")
            logger.warning("OIDC id_token: claim check failed: %r", exc)
            raise OidcError(
                f"{_CLAIM_MESSAGES.get(names[0], 'Le jeton d’identité est invalide.')} {RETRY}"
            ) from exc
        # With several audiences, the authorized party must be this client (Core 1.0, 3.1.3.7, points 4-5).
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != self.config.client_id:
            raise OidcError(f"{_CLAIM_MESSAGES['azp']} {RETRY}")
        return claims

    def fetch_userinfo(self, access_token: str, *, subject: str) -> dict[str, Any]:
        """Userinfo claims, from JSON or from a signed JWT (ProConnect signs them)."""
        metadata = self.metadata()
        assert metadata.userinfo_endpoint
        response = self._call(
            "GET",
            metadata.userinfo_endpoint,
            "userinfo",
            headers={
                "Authorization": f"Bearer {access_token}",
                "Accept": "application/jwt, application/json",
            },
        )
        if response.status_code != 200:
            logger.warning("OIDC userinfo: HTTP %s: %.300r", response.status_code, response.text)
            raise OidcError(f"{self.label} n'a pas transmis votre profil. {RETRY}")
        if response.headers.get("content-type", "").split(";")[0].strip() == "application/jwt":
            claims = self._decode_signed(
                response.text.strip(),
                metadata.userinfo_algorithms or metadata.id_token_algorithms,
                "userinfo",
            )
            # A signed userinfo response carries iss and aud (Core 1.0, 5.3.2): they must be ours.
            audiences = claims.get("aud", self.config.client_id)
            if claims.get("iss", self.config.issuer) != self.config.issuer or self.config.client_id not in (
                audiences if isinstance(audiences, list) else [audiences]
            ):
                raise OidcError(f"Le profil reçu n'est pas destiné à Retex. {RETRY}")
        else:
            claims = self._json(response, "userinfo")
        # Core 1.0, 5.3.2: the userinfo sub must be the ID token's, or the response must not be used.
        if claims.get("sub") != subject:
            raise OidcError(f"Le profil reçu de {self.label} ne correspond pas au compte connecté. {RETRY}")
        return claims
