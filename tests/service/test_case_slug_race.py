"""Two writers creating a case with the same title at the same moment (found by the load test): both get
their case, with distinct slugs, instead of one 500."""

from __future__ import annotations

import threading
import time

from sqlalchemy import Engine

from service.casestudies.schemas import CaseStudyCreate
from service.casestudies.service import create_case
from service.db.engine import make_session_factory


def test_same_title_created_concurrently_gets_the_next_free_slug(seeded_engine: Engine) -> None:
    factory = make_session_factory(seeded_engine)
    data = CaseStudyCreate(title="Course au même titre", summary="Deux écritures simultanées.")
    first, second = factory(), factory()
    slugs: list[str] = []
    errors: list[BaseException] = []
    try:
        # The first insert is flushed but not committed: the second writer sees the slug as free,
        # then its insert waits on the first transaction and fails on the unique slug once it commits.
        slugs.append(create_case(first, data=data, max_section_chars=20_000).slug)

        def second_writer() -> None:
            try:
                slugs.append(create_case(second, data=data, max_section_chars=20_000).slug)
                second.commit()
            except BaseException as exc:
                errors.append(exc)

        thread = threading.Thread(target=second_writer)
        thread.start()
        time.sleep(0.5)
        first.commit()
        thread.join(60)
        assert not errors, errors
        assert slugs == ["course-au-meme-titre", "course-au-meme-titre-2"]
    finally:
        for session in (first, second):
            session.rollback()
        with factory() as cleanup:
            from service.casestudies.models import CaseStudy

            for case in cleanup.query(CaseStudy).filter(CaseStudy.slug.in_(slugs)):
                cleanup.delete(case)
            cleanup.commit()
        first.close()
        second.close()
