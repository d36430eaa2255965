"""Atom 1.0 documents (RFC 4287) of any entries — cases, discussions, posts, events — and the response
that carries them. Kit: the feeds of every domain use it, so it knows none of them (the entries of case
studies are built in service/opendata/atom.py)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from fastapi.responses import Response

from service.api.datetimes import as_utc

ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM_MEDIA_TYPE = "application/atom+xml"
FEED_SIZE = 50
# The OpenAPI description of a feed's 200 response.
FEED_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            ATOM_MEDIA_TYPE: {
                "schema": {"type": "string"},
                "example": '<?xml version="1.0" encoding="utf-8"?><feed xmlns="…">…</feed>',
            }
        }
    }
}


class AtomResponse(Response):
    media_type = ATOM_MEDIA_TYPE


# Characters XML 1.0 cannot carry at all (control characters, lone surrogates, U+FFFE/U+FFFF): user text
# may contain them, and one of them would make the whole feed unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    return _NOT_XML.sub("", text)


def _text(parent: Element, tag: str, text: str, **attrs: str) -> Element:
    element = SubElement(parent, tag, {k: xml_safe(v) for k, v in attrs.items()})
    element.text = xml_safe(text)
    return element


def _stamp(value: datetime | None) -> str:
    return as_utc(value or datetime(2000, 1, 1, tzinfo=UTC)).isoformat()


@dataclass(frozen=True)
class AtomEntry:
    url: str
    title: str
    updated: datetime
    summary: str
    published: datetime | None = None
    author: str | None = None
    categories: Sequence[tuple[str, str]] = ()  # (term, label)
    rights: str | None = None


def atom_document(
    *, title: str, subtitle: str, self_url: str, page_url: str, base_url: str, entries: Sequence[AtomEntry]
) -> bytes:
    """An Atom 1.0 feed (RFC 4287) of any entries: cases, discussions, posts."""
    feed = Element("feed", {"xmlns": ATOM_NS, "xml:lang": "fr"})
    _text(feed, "id", self_url)
    _text(feed, "title", title)
    _text(feed, "subtitle", subtitle)
    newest = max((as_utc(e.updated) for e in entries), default=datetime(2000, 1, 1, tzinfo=UTC))
    _text(feed, "updated", newest.isoformat())
    SubElement(feed, "link", {"rel": "self", "type": ATOM_MEDIA_TYPE, "href": self_url})
    SubElement(feed, "link", {"rel": "alternate", "type": "text/html", "href": page_url})
    author = SubElement(feed, "author")
    _text(author, "name", "Retex")
    _text(author, "uri", base_url + "/")
    _text(feed, "generator", "Retex")
    for item in entries:
        entry = SubElement(feed, "entry")
        _text(entry, "id", item.url)
        _text(entry, "title", item.title)
        _text(entry, "updated", as_utc(item.updated).isoformat())
        if item.published is not None:
            _text(entry, "published", _stamp(item.published))
        SubElement(entry, "link", {"rel": "alternate", "type": "text/html", "href": item.url})
        if item.author:
            _text(SubElement(entry, "author"), "name", item.author)
        _text(entry, "summary", item.summary)
        for term, label in item.categories:
            SubElement(entry, "category", {"term": xml_safe(term), "label": xml_safe(label)})
        if item.rights:
            _text(entry, "rights", item.rights)
    body: bytes = tostring(feed, encoding="utf-8", xml_declaration=True)
    return body
