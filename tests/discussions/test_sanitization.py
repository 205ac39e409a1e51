"""What members write reaches pages and emails without its scripts, event handlers or
`javascript:` links: Markdown rendered with raw HTML off, then sanitized (vindaris.lib.markdown);
a notification quotes it as plain text, which emails escape."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from tests.builders import make_comment

PAYLOADS = [
    "<script>alert('xss')</script>",
    '<img src="x" onerror="alert(1)">',
    '<a href="javascript:alert(1)" onclick="alert(2)">click</a>',
    "[click me](javascript:alert(3))",
    "[also](JaVaScRiPt:alert(4))",
    '<p onmouseover="alert(5)">hover</p>',
    "<svg/onload=alert(6)>",
    '<iframe src="javascript:alert(7)"></iframe>',
]
BODY = "\n\n".join(PAYLOADS)


class Elements(HTMLParser):
    """The tags and attributes a browser would make of a piece of HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [(name, value or "") for name, value in attrs]


def assert_harmless(html: str) -> None:
    """No element the payloads tried to make: no script, image, frame or svg, no event
    handler attribute, no javascript: URL (what is left of them is text, escaped)."""
    parsed = Elements()
    parsed.feed(html)
    parsed.close()
    assert not {"script", "img", "iframe", "svg"} & set(parsed.tags)
    assert [name for name, _ in parsed.attributes if name.startswith("on")] == []
    assert [
        value
        for _, value in parsed.attributes
        if "".join(value.split()).lower().startswith("javascript:")
    ] == []


@pytest.mark.parametrize("payload", PAYLOADS)
def test_each_payload_is_harmless_on_the_discussion_page(org, cast, client_for, payload):
    comment = make_comment(org, cast.lead.user, goal=cast.goal, body=payload)
    url = reverse("goal_comments", args=[org.slug, cast.goal.number])
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        html = client_for(cast.viewer.user).get(url, **headers).content.decode()
        start = html.index(f'id="comment-{comment.number}"')
        assert_harmless(html[start : html.index("</article>", start)])


def test_payloads_are_harmless_on_the_edit_and_delete_pages(org, cast, client_for):
    comment = make_comment(org, cast.lead.user, goal=cast.goal, body=BODY)
    client = client_for(cast.lead.user)
    for name in ("comment_edit", "comment_delete"):
        html = client.get(reverse(name, args=[org.slug, comment.number])).content.decode()
        assert_harmless(html[html.index("<main") : html.index("</main>")])


def test_a_markdown_link_keeps_its_safe_target_and_loses_the_unsafe_one(org, cast, client_for):
    body = "[plan](https://example.com/plan) and [bad](javascript:alert(1))"
    comment = make_comment(org, cast.lead.user, goal=cast.goal, body=body)
    url = reverse("comment_detail", args=[org.slug, comment.number])
    html = client_for(cast.viewer.user).get(url, follow=True).content.decode()
    assert '<a href="https://example.com/plan" rel="nofollow noopener noreferrer">plan</a>' in html
    start = html.index(f'id="comment-{comment.number}"')
    assert_harmless(html[start : html.index("</article>", start)])


def test_a_notification_quotes_the_comment_as_plain_text(org, cast):
    from notifications.models import Notification

    make_comment(
        org, cast.lead.user, goal=cast.goal, body="@planner@acme.test **Bold** <b>x</b> & co"
    )
    note = Notification.objects.get(organization=org, kind="mention")
    assert note.text.endswith(": @planner@acme.test Bold <b>x</b> & co")
