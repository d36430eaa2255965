"""/docs/api: the partner guide (docs/api.md, the file the test suite runs) rendered on the site, beside
the interactive reference (/docs). One text for both: the page reads the file, sanitised by the same
Markdown renderer as user content, with the examples' server address replaced by this instance's."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from service.api.transport import public_base
from web.markdown import render_markdown
from web.templating import render

router = APIRouter()
GUIDE = Path(__file__).resolve().parents[2] / "docs" / "api.md"
EXAMPLE_BASE = "http://127.0.0.1:8000"  # the address the guide's examples use


@lru_cache(maxsize=4)
def _guide(base: str) -> tuple[str, Markup]:
    """(title, body) of the guide: its first `# ` line is the page's <h1>."""
    text = GUIDE.read_text(encoding="utf-8").replace(EXAMPLE_BASE, base)
    first, _, rest = text.partition("\n")
    return first.removeprefix("# ").strip(), render_markdown(rest)


@router.get("/docs/api", response_class=HTMLResponse)
def api_guide(request: Request) -> HTMLResponse:
    title, body = _guide(public_base(request))
    return render(request, "api_guide.html", {"title": title, "body": body})
