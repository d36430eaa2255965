"""Units of web/: Markdown sanitizing, snippet tidying, the signed session cookie."""

from __future__ import annotations

import time

import pytest

from web.markdown import render_markdown, render_plain, tidy_snippet
from web.session import COOKIE_MAX_AGE, Signer

pytestmark = pytest.mark.nodb

ATTACKS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<svg onload="alert(1)"><circle /></svg>',
    "<iframe src=//evil.example></iframe>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p onclick="alert(1)">x</p>',
    "<form action=//evil><button>ok</button></form>",
    "<object data=x></object><embed src=x>",
    '"><script>alert(1)</script>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<a href="&#106;avascript:alert(1)">x</a>',
]


@pytest.mark.parametrize("text", ATTACKS)
def test_markdown_output_never_carries_script(text: str) -> None:
    html = str(render_markdown(f"Avant\n\n{text}\n\nAprès")).lower()
    bad_parts = ("<script", " onerror=", " onload=", " onclick=", 'href="javascript', "<iframe",
                 "<svg", "style=", "<form", "<object", "<embed", 'href="data:', "<img", "<style",
                 "<math")  # fmt: skip
    for bad in bad_parts:
        assert bad not in html, (text, html)
    assert "avant" in html


def test_markdown_keeps_the_useful_formatting() -> None:
    html = str(
        render_markdown(
            "# Titre\n\n## Sous-titre\n\n**gras** *it* ~~barré~~\n\n- un\n- deux\n\n1. a\n\n"
            '> cité\n\n`code`\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n[lien](https://example.org "t")'
        )
    )
    expected = ("<h3>Titre</h3>", "<h4>Sous-titre</h4>", "<strong>gras</strong>", "<em>it</em>",
                "<s>barré</s>", "<li>un</li>", "<ol>", "<blockquote>", "<code>code</code>",
                "<table>")  # fmt: skip
    for good in expected:
        assert good in html, html
    assert 'href="https://example.org"' in html and 'rel="nofollow noopener noreferrer ugc"' in html


def test_headings_start_at_h3_and_images_become_links() -> None:
    assert str(render_markdown("### Seul")).startswith("<h3>Seul</h3>")
    html = str(render_markdown("![Un plan](https://example.org/plan.png)"))
    assert (
        "<img" not in html and 'href="https://example.org/plan.png"' in html and "[Image : Un plan]" in html
    )
    assert str(render_markdown("")) == "" and str(render_markdown(None)) == ""


def test_plain_text_is_escaped_into_paragraphs() -> None:
    assert str(render_plain("a <b>\nc\n\nd & e")) == "<p>a &lt;b&gt;<br>c</p><p>d &amp; e</p>"


def test_tidy_snippet_only_removes_markdown_marks() -> None:
    snippet = (
        "## Titre **<mark>portail</mark>** [voir le <mark>portail</mark>](https://x.org/a) - point &lt;b&gt;"
    )
    assert tidy_snippet(snippet) == "Titre <mark>portail</mark> voir le <mark>portail</mark> point &lt;b&gt;"


def test_signed_session_rejects_tampering_and_old_cookies() -> None:
    signer = Signer("secret")
    value = signer.dumps({"csrf": "abc", "iat": int(time.time())})
    assert signer.loads(value) == {"csrf": "abc", "iat": pytest.approx(time.time(), abs=5)}
    payload, _, mac = value.partition(".")
    assert signer.loads(payload + "." + mac[:-2] + "AA") is None
    assert Signer("other").loads(value) is None
    assert signer.loads("") is None and signer.loads("x.y") is None and signer.loads("....") is None
    old = signer.dumps({"csrf": "abc", "iat": int(time.time()) - COOKIE_MAX_AGE - 10})
    assert signer.loads(old) is None
