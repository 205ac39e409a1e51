"""A comment's payloads are harmless in the notification email: the notification quotes the
comment as plain text, which the email's HTML escapes."""

from notifications import services as notifications
from tests.builders import make_comment
from tests.discussions.test_sanitization import PAYLOADS, assert_harmless


def test_payloads_are_harmless_in_the_notification_email(org, cast, mailoutbox):
    body = f"@planner@acme.test look: {' '.join(PAYLOADS)}"
    make_comment(org, cast.lead.user, goal=cast.goal, body=body)
    assert notifications.notification_emails_send(organization=org).sent == 1
    (email,) = mailoutbox
    assert email.to == ["planner@acme.test"]
    (html, mimetype), *_ = email.alternatives
    assert mimetype == "text/html"
    assert "Lee Lead mentioned you on" in html
    assert_harmless(html)
    # the text part quotes what was written, as text
    assert "Lee Lead mentioned you on" in email.body
