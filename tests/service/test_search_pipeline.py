"""The search pipeline's own parts: the query checked once, the page's cards loaded in one query with the
same content as the ORM summary, and the label cache cleared when a theme changes."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from service.api.errors import InvalidFieldError
from service.casestudies.models import CaseStudy, PublicationState
from service.casestudies.schemas import CaseStudySummary
from service.search import labels, pipeline
from service.search.service import SearchFilters
from service.themes.models import Theme


def test_parse_query_checks_text_and_page_limits_once() -> None:
    query = pipeline.parse_query("  cantine   bio ", max_chars=300, page=2, page_size=20)
    assert (query.text, query.page, query.page_size, query.mode) == ("cantine bio", 2, 20, "hybrid")
    assert query.filters == SearchFilters()
    for kwargs in ({"page": 0}, {"page": pipeline.MAX_PAGE + 1}, {"page_size": 0}, {"page_size": 51}):
        with pytest.raises(InvalidFieldError):
            pipeline.parse_query("cantine", max_chars=300, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(InvalidFieldError, match="vide"):
        pipeline.parse_query("   ", max_chars=300)
    with pytest.raises(InvalidFieldError, match="dépasse"):
        pipeline.parse_query("x" * 11, max_chars=10)


def test_cards_match_the_orm_summary_in_one_query(session: Session) -> None:
    published = list(
        session.scalars(
            select(CaseStudy.id).where(CaseStudy.publication_state == PublicationState.published).limit(40)
        )
    )
    draft = session.scalar(
        select(CaseStudy.id).where(CaseStudy.publication_state != PublicationState.published)
    )
    labels.themes_by_id(session)  # warm the cache: the cards themselves then cost one statement
    statements: list[str] = []
    engine = session.get_bind()
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        cards = pipeline.load_cards(session, published + ([draft] if draft else []) + [10**9])
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(statements) == 1
    assert set(cards) == set(published)  # drafts and unknown ids are left out
    for case_id, card in cards.items():
        orm = session.get(CaseStudy, case_id)
        expected = CaseStudySummary.model_validate(orm).model_dump()
        assert CaseStudySummary.model_validate(card).model_dump() == expected
    assert any(c.territories for c in cards.values()) and any(c.themes for c in cards.values())


def test_theme_label_cache_is_cleared_when_a_theme_changes(session: Session) -> None:
    theme = session.scalars(select(Theme).order_by(Theme.id)).first()
    assert theme is not None
    before = labels.theme_labels(session)[theme.slug]
    theme.label = before + " (renommé)"
    session.commit()
    try:
        assert labels.theme_labels(session)[theme.slug] == before + " (renommé)"
    finally:
        theme.label = before
        session.commit()
    assert labels.theme_labels(session)[theme.slug] == before
