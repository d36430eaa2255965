"""One database session per request: commits on success, rolls back on any error.

A request uses at most one database connection (a pool of N connections then serves N concurrent
requests, whatever they do): code that needs the database during a request but has no session
parameter (the principal of a page, the unread count in the header) borrows the request's session
through `request_session`, and rate counters are written in the request's transaction — or, when
that transaction is rolled back, right after it (service/ratelimit/counters.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from service.ratelimit.counters import replay_uncommitted

_STATE_KEY = "db_session"


def get_session(request: Request) -> Iterator[Session]:
    session: Session = request.app.state.session_factory()
    setattr(request.state, _STATE_KEY, session)
    committed = False
    try:
        yield session
        session.commit()
        committed = True
    except BaseException:
        session.rollback()
        raise
    finally:
        setattr(request.state, _STATE_KEY, None)
        session.close()  # the connection is back in the pool before the counts are replayed
        if not committed:
            replay_uncommitted(session, request.app.state.engine)


def current_session(request: Request) -> Session | None:
    """The request's own session, once `get_session` has opened it."""
    current = getattr(request.state, _STATE_KEY, None)
    return current if isinstance(current, Session) else None


@contextmanager
def request_session(request: Request) -> Iterator[tuple[Session, bool]]:
    """The request's own session when it has one (`owned` False: flush, never commit), otherwise a
    short session of its own (`owned` True: the caller commits)."""
    current = current_session(request)
    if current is not None:
        yield current, False
        return
    with request.app.state.session_factory() as db:
        yield db, True


# scope="function": commit before the response is sent, so a 2xx always means the data is stored.
DbSession = Annotated[Session, Depends(get_session, scope="function")]
