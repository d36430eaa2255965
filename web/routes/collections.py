"""/selections: public collections of experiences, and a collection's page (introduction, ordered
experiences with the curator's comment, feed and export links). Unlisted ones open by their link only."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from service.collections import service
from web.params import PageSession, path_key
from web.templating import render

router = APIRouter()


@router.get("/selections", response_class=HTMLResponse)
def collection_list(request: Request, session: PageSession) -> HTMLResponse:
    collections = service.all_listed(session)
    counts = {c.id: len(service.published_items(c)) for c in collections}
    return render(request, "collections.html", {"collections": collections, "counts": counts})


@router.get("/selections/{slug}", response_class=HTMLResponse)
def collection_page(request: Request, session: PageSession, slug: str) -> HTMLResponse:
    collection = service.get_collection(session, path_key(slug, max_chars=140))
    context = {"collection": collection, "items": service.published_items(collection)}
    return render(request, "collection.html", context)
