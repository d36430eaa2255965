"""Atom 1.0 documents (RFC 4287) of case studies: id, title, updated, links, author, summary, categories
and, per entry, the licence of its content (`rights`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from xml.etree.ElementTree import Element, SubElement, tostring

from service.api.datetimes import as_utc
from service.casestudies.models import CaseStudy
from service.opendata.licences import licence_name

ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM_MEDIA_TYPE = "application/atom+xml"
FEED_SIZE = 50


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


def case_updated(case: CaseStudy) -> datetime:
    return as_utc(case.updated_at or case.published_at or datetime(2000, 1, 1, tzinfo=UTC))


def atom_feed(
    *, title: str, subtitle: str, self_url: str, page_url: str, base_url: str, cases: Sequence[CaseStudy]
) -> bytes:
    feed = Element("feed", {"xmlns": ATOM_NS, "xml:lang": "fr"})
    _text(feed, "id", self_url)
    _text(feed, "title", title)
    _text(feed, "subtitle", subtitle)
    newest = max((case_updated(c) for c in cases), default=datetime(2000, 1, 1, tzinfo=UTC))
    _text(feed, "updated", newest.isoformat())
    SubElement(feed, "link", {"rel": "self", "type": ATOM_MEDIA_TYPE, "href": self_url})
    SubElement(feed, "link", {"rel": "alternate", "type": "text/html", "href": page_url})
    author = SubElement(feed, "author")
    _text(author, "name", "Retex")
    _text(author, "uri", base_url + "/")
    _text(feed, "generator", "Retex")
    for case in cases:
        url = f"{base_url}/experiences/{case.slug}"
        entry = SubElement(feed, "entry")
        _text(entry, "id", url)
        _text(entry, "title", case.title)
        _text(entry, "updated", case_updated(case).isoformat())
        if case.published_at is not None:
            _text(entry, "published", _stamp(case.published_at))
        SubElement(entry, "link", {"rel": "alternate", "type": "text/html", "href": url})
        if case.organisation is not None:
            _text(SubElement(entry, "author"), "name", case.organisation.name)
        _text(entry, "summary", case.summary)
        for theme in case.themes:
            SubElement(entry, "category", {"term": xml_safe(theme.slug), "label": xml_safe(theme.label)})
        rights = licence_name(case.licence)
        if case.attribution:
            rights = f"{rights} — {case.attribution}"
        _text(entry, "rights", rights)
    body: bytes = tostring(feed, encoding="utf-8", xml_declaration=True)
    return body
