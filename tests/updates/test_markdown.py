"""Markdown members write is rendered, and whatever it smuggles in comes out inert."""

from html.parser import HTMLParser

import pytest
from django.template import engines

from vindaris.lib.markdown import render


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    """Every element of `html` as a browser would parse it: (tag, attributes)."""
    found: list[tuple[str, dict[str, str | None]]] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, dict(attrs)))

    Collect().feed(html)
    return found


def test_it_renders_commonmark():
    html = render("**Shipped** the *beta*.\n\n- one\n- two\n\n`code`")
    assert html == (
        "<p><strong>Shipped</strong> the <em>beta</em>.</p>\n"
        "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"
        "<p><code>code</code></p>"
    )


def test_links_get_nofollow_noopener():
    html = render("[the plan](https://example.com/plan)")
    assert html == (
        '<p><a href="https://example.com/plan" rel="nofollow noopener noreferrer">the plan</a></p>'
    )


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "before <script>document.cookie</script> after",
        "<img src=x onerror=alert(1)>",
        '<a href="#" onclick="alert(1)">x</a>',
        '<div onmouseover="alert(1)">hover</div>',
        "<iframe src='https://evil.example'></iframe>",
        '<svg onload="alert(1)"></svg>',
    ],
)
def test_raw_html_is_shown_as_text_never_as_markup(text):
    html = render(text)
    assert [tag for tag, _ in elements(html)] == ["p"]
    assert all(not attrs for _, attrs in elements(html))
    # The typed characters survive, escaped: the reader sees what was written.
    assert "&lt;" in html


@pytest.mark.parametrize(
    "text",
    [
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](java&#x73;cript:alert(1))",
        "[click](vbscript:msgbox(1))",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "<javascript:alert(1)>",
        "[click][ref]\n\n[ref]: javascript:alert(1)",
    ],
)
def test_unsafe_link_schemes_never_become_links(text):
    html = render(text)
    assert [tag for tag, _ in elements(html) if tag == "a"] == []


def test_images_are_not_rendered_even_with_an_onerror():
    html = render('![pic](https://example.com/x.png "t") ![x](x" onerror="alert(1))')
    tags = elements(html)
    assert "img" not in [tag for tag, _ in tags]
    assert all(not name.startswith("on") for _, attrs in tags for name in attrs)


def test_blank_text_renders_nothing():
    assert render("") == ""
    assert render("  \n ") == ""


def test_the_template_filter_renders_and_does_not_double_escape():
    template = engines["django"].from_string("{% load markdown %}{{ body|markdown }}")
    out = template.render({"body": "a <b>bold</b> **claim** [x](javascript:alert(1))"})
    assert out == "<p>a &lt;b&gt;bold&lt;/b&gt; <strong>claim</strong> [x](javascript:alert(1))</p>"
    assert template.render({"body": None}) == ""
