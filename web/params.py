"""Lenient reading of query-string and form values: a bad value falls back to a default (a page
never answers 500, nor a raw validation error, because someone edited a URL)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from service.db.session import get_session


def int_param(raw: str | None, *, default: int, lo: int, hi: int) -> int:
    try:
        value = int((raw or "").strip())
    except ValueError:
        return default
    return min(hi, max(lo, value))


def clean_text(raw: str) -> str:
    """Without NUL characters (PostgreSQL refuses them in text: a query holding one would fail)."""
    return raw.replace("\x00", "")


def path_key(raw: str, *, max_chars: int = 200) -> str:
    """A slug or code from the URL path, safe to compare in SQL."""
    return clean_text(raw)[:max_chars]


def text_param(raw: str | None, *, max_chars: int) -> str:
    return " ".join(clean_text(raw or "").split())[:max_chars]


def list_param(request: Request, name: str, *, max_items: int = 20, max_chars: int = 80) -> list[str]:
    values = [" ".join(clean_text(v).split()) for v in request.query_params.getlist(name)]
    return list(dict.fromkeys(v[:max_chars] for v in values if v))[:max_items]


# The request's database session, closed (committed or rolled back) *before* the response is sent:
# a browser following the redirect of a form must find what the form wrote.
PageSession = Annotated[Session, Depends(get_session, scope="function")]


async def _form_data(request: Request) -> FormData:
    return await request.form()  # parsed once per request (the CSRF check read it already)


# The posted form fields.
FormBody = Annotated[FormData, Depends(_form_data)]


def form_text(form: FormData, name: str, limit: int) -> str:
    """A posted field as text, at most `limit` characters, NUL removed; "" when absent or a file."""
    value = form.get(name)
    return clean_text(value)[:limit] if isinstance(value, str) else ""
