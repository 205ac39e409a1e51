"""What members write (goal updates, comments), rendered from Markdown to HTML safe to show.

Two layers, each enough on its own for the common attacks: markdown-it-py in CommonMark mode with
raw HTML disabled (a `<script>` typed in a body comes out as text, and its link validator refuses
`javascript:`, `vbscript:`, `file:` and `data:` targets), then nh3 keeping only an allow-list of
tags and attributes and the `http`, `https` and `mailto` schemes. Links open nothing with our
`window.opener` and pass no ranking on (rel="nofollow noopener noreferrer").

Images are not rendered: the page's Content-Security-Policy loads none from elsewhere, and an image
pointed at one of our own URLs would make every reader's browser send a request they never chose.
`![alt](url)` is left as text.

In templates: `{% load markdown %}` then `{{ update.body|markdown }}`.
"""

import nh3
from django import template
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

TAGS = frozenset(
    {
        "a",
        "blockquote",
        "br",
        "code",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "li",
        "ol",
        "p",
        "pre",
        "strong",
        "ul",
    }
)
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener noreferrer"

_parser = MarkdownIt("commonmark", {"html": False}).disable("image")


def render(text: str) -> SafeString:
    """`text` (Markdown) as sanitized HTML; an empty string for empty or blank text."""
    if not text or not text.strip():
        return mark_safe("")
    html = nh3.clean(
        _parser.render(text),
        tags=set(TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )
    return mark_safe(html.strip())  # noqa: S308 - sanitized by nh3 just above


register = template.Library()


@register.filter(name="markdown", is_safe=True)
def markdown_filter(text: str | None) -> SafeString:
    """The `markdown` template filter: `render` for templates (None renders as nothing)."""
    return render(text or "")
