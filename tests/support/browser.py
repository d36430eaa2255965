"""Helpers of the browser tests (Debian's Chromium driven by Playwright): pages, log-in, axe-core,
screenshots."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests.support.paths import REPO
from tests.support.people import Person

CHROMIUM = Path(os.environ.get("RETEX_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_JS = REPO / "tests" / "web" / "vendor" / "axe.min.js"
SCREENSHOTS = REPO / "build" / "screenshots"
DOCS_SCREENSHOTS = REPO / "docs" / "screenshots"  # the ones the README and the closing notes show


def new_page(browser: Any, base_url: str, **options: Any) -> Any:
    """A page in a fresh context; `page.js_errors` collects script errors and CSP violations."""
    options.setdefault("viewport", {"width": 1280, "height": 900})
    context = browser.new_context(base_url=base_url, locale="fr-FR", **options)
    context.set_default_timeout(10_000)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on(
        "console",  # CSP violations and script errors; not the 4xx answers the tests ask for
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource")
            else None
        ),
    )
    pg.js_errors = errors
    return pg


def browser_log_in(page: Any, person: Person, next_path: str = "/publier") -> None:
    page.goto(f"/connexion?suivant={next_path}")
    page.get_by_label("Adresse e-mail").fill(person.email)
    page.get_by_label("Mot de passe").fill(person.password)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    page.wait_for_url(f"**{next_path}")


def axe_violations(page: Any, *, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict[str, Any]]:
    """Run axe-core (vendored) in the page; the violations of the given impacts."""
    page.add_script_tag(path=str(AXE_JS))  # the page's context must bypass the CSP (inline script)
    found: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " + n.failureSummary),
            }));
        }"""
    )
    return [v for v in found if v["impact"] in impacts]


def screenshot(page: Any, name: str) -> Path:
    """The whole page (`name.png`) and its first screen (`name-ecran.png`) under build/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-ecran.png"))
    return path


def docs_screenshot(page: Any, name: str, *, band: tuple[str, str] | None = None) -> Path:
    """The whole page as docs/screenshots/`name`.png (committed: the README shows it), or only the band of
    the page, full width, from the top of one element to the bottom of another (CSS selectors)."""
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = DOCS_SCREENSHOTS / f"{name}.png"
    clip = None
    if band is not None:
        top, bottom = page.evaluate(
            "([a, b]) => [document.querySelector(a).getBoundingClientRect().top + window.scrollY,"
            " document.querySelector(b).getBoundingClientRect().bottom + window.scrollY]",
            list(band),
        )
        top = max(0, top - 16)
        clip = {"x": 0, "y": top, "width": page.viewport_size["width"], "height": bottom + 16 - top}
    page.screenshot(path=str(path), full_page=True, clip=clip)
    return path
