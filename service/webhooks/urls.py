"""Where a webhook may point. Without RETEX_WEBHOOK_ALLOW_PRIVATE: https only, and never an address of
Retex's own network (loopback, private, link-local, unspecified, reserved…), so a partner cannot make the
server call its internal services. Checked on the URL when it is registered (a literal address, a local
name) and on the addresses its name resolves to at each delivery (a name may change where it points)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

LOCAL_NAMES = ("localhost", ".localhost", ".local", ".internal", ".localdomain", ".home.arpa")


class RefusedUrl(ValueError):
    """A URL the server will not call; the message is French, for the partner."""


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _public(address.ipv4_mapped)
    return address.is_global and not address.is_multicast


def check_url(url: str, *, allow_private: bool) -> str:
    """The URL, if it may be registered; RefusedUrl otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port  # a non-numeric or out-of-range port raises here
    except ValueError:
        raise RefusedUrl("adresse illisible") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise RefusedUrl("une adresse https://… complète est attendue")
    if parts.scheme != "https" and not allow_private:
        raise RefusedUrl("seules les adresses https:// sont acceptées")
    if parts.username or parts.password:
        raise RefusedUrl("pas d'identifiants dans l'adresse : vérifiez la signature à la place")
    if any(c.isspace() for c in url) or port == 0:
        raise RefusedUrl("adresse illisible")
    if allow_private:
        return url
    host = parts.hostname.rstrip(".").lower()
    if host == "localhost" or host.endswith(LOCAL_NAMES):
        raise RefusedUrl("adresse d'un réseau local refusée")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        if "." not in host:
            raise RefusedUrl("nom de domaine complet attendu (exemple.fr)") from None
        return url
    if not _public(literal):
        raise RefusedUrl("adresse privée, locale ou réservée refusée")
    return url


def check_destination(url: str, *, allow_private: bool) -> None:
    """Before a delivery: every address the host resolves to must be public (OSError if not)."""
    if allow_private:
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    infos = socket.getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
    for *_, sockaddr in infos:
        if not _public(ipaddress.ip_address(sockaddr[0])):
            raise RefusedUrl(f"{host} désigne une adresse privée ou locale ({sockaddr[0]}) : envoi refusé")
