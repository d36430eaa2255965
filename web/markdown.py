"""User-written Markdown -> HTML that is safe to put in a page.

markdown-it-py renders CommonMark (plus tables and strikethrough); raw HTML inside the Markdown is let
through the parser and then everything goes through nh3 (ammonia) with an allow-list of tags,
attributes and URL schemes. Whatever the input, the output holds no script, no event handler, no
style and no javascript: URL. Headings are renumbered from <h3> (the page gives each section its own
<h2>) without skipping a level, and images become plain links (a case page loads no third-party
content).
"""

from __future__ import annotations

import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup, escape

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "s", "del", "sub", "sup",
        "code", "pre", "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
        "abbr", "mark",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "ol": {"start"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener noreferrer ugc"
TOP_HEADING = 3  # the first heading level a section's own headings may use


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    return md


def _shift_headings(tokens: list[Token]) -> None:
    """Renumber headings from TOP_HEADING, never skipping a level (## then #### give h3 then h4)."""
    levels = sorted({int(t.tag[1]) for t in tokens if t.type == "heading_open"})
    rank = {level: min(6, TOP_HEADING + i) for i, level in enumerate(levels)}
    previous = TOP_HEADING - 1  # the section's own <h2>
    for token in tokens:
        if token.type == "heading_open":
            previous = min(rank[int(token.tag[1])], previous + 1)
            token.tag = f"h{previous}"
        elif token.type == "heading_close":
            token.tag = f"h{previous}"


def _images_to_links(tokens: list[Token]) -> None:
    for token in tokens:
        if token.type != "inline" or not token.children:
            continue
        children: list[Token] = []
        for child in token.children:
            if child.type != "image":
                children.append(child)
                continue
            alt = child.content or "image"
            link_open = Token("link_open", "a", 1)
            link_open.attrs = {"href": str(child.attrGet("src") or "")}
            text = Token("text", "", 0)
            text.content = f"[Image : {alt}]"
            children.extend([link_open, text, Token("link_close", "a", -1)])
        token.children = children


def render_markdown(text: str | None) -> Markup:
    """Sanitized HTML for a Markdown text (empty markup for an empty text)."""
    if not text or not text.strip():
        return Markup("")
    md = _parser()
    tokens = md.parse(text)
    _shift_headings(tokens)
    _images_to_links(tokens)
    html = md.renderer.render(tokens, md.options, {})
    clean = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style", "iframe", "object", "embed", "template", "noscript"},
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )
    return Markup(clean)


def render_plain(text: str | None) -> Markup:
    """Plain text (a summary, a note) as escaped paragraphs: blank lines separate paragraphs."""
    if not text or not text.strip():
        return Markup("")
    paragraphs = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return Markup("").join(
        Markup("<p>{}</p>").format(Markup("<br>").join(escape(line) for line in p.split("\n")))
        for p in paragraphs
    )


_SNIPPET_LINK = re.compile(r"!?\[((?:[^\[\]<>]|</?mark>)*)\]\([^()<>\s]*\)")
_SNIPPET_EMPHASIS = re.compile(r"\*\*|__|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])")
_SNIPPET_HEADING = re.compile(r"(^|[\s…])#{1,6}\s+")
_SNIPPET_BULLET = re.compile(r"(^|\s)[-*]\s+(?=\S)")


def tidy_snippet(snippet: str) -> str:
    """Drop the Markdown marks (##, **, [text](url), list dashes) from a search snippet.

    The snippet is already HTML (escaped text with <mark> tags, from the search service); this only
    deletes characters outside any tag (never '<' or '>'), so what it returns is exactly as safe."""
    text = _SNIPPET_LINK.sub(r"\1", snippet)
    text = _SNIPPET_HEADING.sub(r"\1", text)
    text = _SNIPPET_EMPHASIS.sub("", text)
    text = _SNIPPET_BULLET.sub(r"\1", text)
    return text
