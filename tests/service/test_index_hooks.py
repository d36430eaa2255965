"""Index jobs are queued by the session factory every writer uses (API, web, seeds, CLI), not by a
hook that importing some module arms on every Session."""

from __future__ import annotations

import gc

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from service.casestudies.models import CaseStudy, ProjectStatus, PublicationState
from service.db.engine import make_engine, make_session_factory
from service.db.migrate import upgrade
from service.discussions.models import Post, Thread
from service.indexjobs.hooks import record_index_changes
from service.indexjobs.models import IndexJob, IndexKind
from tests.service.accounts_support import new_person


def _write_case_and_thread(db: Session, author_id: int) -> tuple[int, int]:
    case = CaseStudy(
        title="Cas du crochet",
        slug="cas-du-crochet",
        summary="Résumé.",
        status=ProjectStatus.deployed,
        publication_state=PublicationState.published,
    )
    db.add(case)
    db.flush()
    thread = Thread(title="Fil du crochet", case_study_id=case.id, author_id=author_id)
    db.add(thread)
    db.flush()
    db.add(Post(thread_id=thread.id, author_id=author_id, body="Bonjour."))
    db.flush()
    return case.id, thread.id


def test_the_session_factory_queues_every_kind_in_the_same_transaction(scratch_url: str) -> None:
    upgrade(scratch_url)
    engine = make_engine(scratch_url)
    author = new_person(engine)
    factory = make_session_factory(engine)
    assert not event.contains(Session, "after_flush", record_index_changes), "no global hook"
    with factory() as db:
        _write_case_and_thread(db, author.user_id)
        db.rollback()  # nothing written: no job either
        assert db.scalars(select(IndexJob)).all() == []
        case_id, thread_id = _write_case_and_thread(db, author.user_id)
        db.commit()
        queued = {(j.kind, j.entity_id) for j in db.scalars(select(IndexJob))}
    assert queued == {(IndexKind.case, case_id), (IndexKind.thread, thread_id)}
    engine.dispose()


def test_every_new_factory_is_equipped_even_when_an_old_one_was_collected() -> None:
    """SQLAlchemy's listener registry is keyed by id(): a new factory at the address of a collected one
    looked equipped and queued nothing (the full suite's failure). Each factory must get its hook."""
    engine = make_engine("sqlite://")
    unequipped = 0
    for _ in range(3):
        factories = [make_session_factory(engine) for _ in range(50)]
        for factory in factories:
            with factory() as db:
                unequipped += record_index_changes not in list(db.dispatch.after_flush)
        del factories, factory
        gc.collect()  # the factories' classes are freed; their addresses get reused
    assert unequipped == 0
    engine.dispose()
