"""The batched email job: one email per member per run, each notification emailed once, with
one-click unsubscribe by kind. Emails go through Django's mail system (the test outbox)."""

from urllib.parse import parse_qs, urlparse

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.test import Client, override_settings
from django.utils import timezone

from notifications import emails, services
from notifications.models import Kind, Notification, NotificationPreference

pytestmark = pytest.mark.django_db


def _token(link: str) -> str:
    return parse_qs(urlparse(link.strip("<>")).query)["token"][0]


def test_two_notifications_make_one_email(org, admin, lead, planner, notify_member):
    notify_member(org, lead, admin, "Admin mentioned you on G-1")
    notify_member(org, lead, planner, "Planner replied to you on T-4", kind=Kind.REPLY)
    notify_member(org, planner, admin, "Admin assigned you T-9", kind=Kind.ASSIGNED)

    run = services.notification_emails_send(organization=org)

    assert (run.sent, run.failed) == (2, 0)
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert sorted(by_recipient) == sorted([lead.email, planner.email])
    to_lead = by_recipient[lead.email]
    assert to_lead.subject == "Acme: 2 new notifications"
    assert "Admin mentioned you on G-1" in to_lead.body
    assert "Planner replied to you on T-4" in to_lead.body
    assert "http://testserver/o/acme/goals/1/" in to_lead.body
    html = to_lead.alternatives[0][0]
    assert "Admin mentioned you on G-1" in html
    assert by_recipient[planner.email].subject == "Acme: Admin assigned you T-9"
    assert to_lead.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert to_lead.extra_headers["List-Unsubscribe"].startswith(
        "<http://testserver/o/acme/notifications/unsubscribe/one-click/?token="
    )
    assert Notification.objects.filter(organization=org, emailed_at__isnull=True).count() == 0


def test_the_job_run_twice_sends_no_second_email(org, admin, lead, notify_member):
    notify_member(org, lead, admin, "Admin mentioned you")
    services.notification_emails_send(organization=org)
    again = services.notification_emails_send(organization=org)
    assert again.sent == 0
    assert len(mail.outbox) == 1

    # a later notification goes in the next run's email, alone
    notify_member(org, lead, admin, "Admin mentioned you again")
    services.notification_emails_send(organization=org)
    assert len(mail.outbox) == 2
    assert "Admin mentioned you again" in mail.outbox[1].body
    assert "Admin mentioned you\n" not in mail.outbox[1].body


def test_kinds_not_chosen_stay_in_the_app(org, admin, lead, notify_member):
    notify_member(org, lead, admin, "G-1 was updated", kind=Kind.GOAL_UPDATE)
    notify_member(org, lead, None, "T-3 is stranded", kind=Kind.TASK_STRANDED)
    assert services.notification_emails_send(organization=org).sent == 0
    assert mail.outbox == []
    assert Notification.objects.filter(organization=org, read_at__isnull=True).count() == 2


def test_the_actor_and_another_organization_get_no_email(
    org, other_org, admin, lead, outsider, membership_of
):
    services.notify(
        organization=org,
        recipients=[membership_of(admin, org), membership_of(outsider, other_org)],
        kind=Kind.MENTION,
        actor=admin,
        text="Admin mentioned themself",
        path="/o/acme/goals/1/",
    )
    services.notification_emails_send(organization=org)
    services.notification_emails_send(organization=other_org)
    assert mail.outbox == []


def test_a_worker_that_dies_after_claiming_sends_nothing_twice(
    org, admin, lead, planner, notify_member
):
    notify_member(org, lead, admin, "for lead")
    # A run claims what it sends, and the claim commits before any email leaves: a worker
    # killed right after it leaves those notifications claimed, and the next run skips them.
    claimed = services._claim(org, timezone.now())
    assert list(claimed) == [Notification.objects.get(organization=org).recipient_id]
    notify_member(org, planner, admin, "for planner")

    run = services.notification_emails_send(organization=org)

    assert run.sent == 1
    assert [m.to for m in mail.outbox] == [[planner.email]]


class BouncingBackend(EmailBackend):
    """The test outbox, refusing one address (a mail server saying no mid-run)."""

    def send_messages(self, messages):
        for message in messages:
            if "lead@" in message.to[0]:
                raise ConnectionError("550 mailbox unavailable")
        return super().send_messages(messages)


def test_a_send_failing_midway_is_retried_next_run_without_duplicates(
    org, admin, lead, planner, notify_member
):
    notify_member(org, lead, admin, "for lead")
    notify_member(org, planner, admin, "for planner")
    with override_settings(EMAIL_BACKEND="tests.notifications.test_emails.BouncingBackend"):
        run = services.notification_emails_send(organization=org)
    assert (run.sent, run.failed) == (1, 1)
    assert [m.to for m in mail.outbox] == [[planner.email]]

    retry = services.notification_emails_send(organization=org)
    assert (retry.sent, retry.failed) == (1, 0)
    assert [m.to for m in mail.outbox] == [[planner.email], [lead.email]]


def test_unsubscribing_by_kind_stops_that_kind_only(org, admin, lead, membership_of, notify_member):
    notify_member(org, lead, admin, "Admin mentioned you")
    notify_member(org, lead, admin, "Admin assigned you T-2", kind=Kind.ASSIGNED)
    services.notification_emails_send(organization=org)
    text = mail.outbox[0].body
    mention_link = next(
        line.split(": ", 1)[1] for line in text.splitlines() if '"Mentions of me"' in line
    )
    path = urlparse(mention_link)
    client = Client()

    confirm = client.get(f"{path.path}?{path.query}")
    assert confirm.status_code == 200
    assert "mentions of me" in confirm.content.decode()
    done = client.post(f"{path.path}?{path.query}")
    assert done.status_code == 200

    pref = NotificationPreference.objects.get(organization=org)
    assert pref.member_id == membership_of(lead, org).pk
    assert pref.email_kinds == ["reply", "assigned"]
    assert notify_member(org, lead, admin, "mentioned again").by_email is False
    assert notify_member(org, lead, admin, "assigned T-3", kind=Kind.ASSIGNED).by_email is True


def test_one_click_unsubscribe_stops_the_kinds_of_that_email(org, admin, lead, notify_member):
    notify_member(org, lead, admin, "Admin mentioned you")
    notify_member(org, lead, admin, "Admin replied", kind=Kind.REPLY)
    services.notification_emails_send(organization=org)
    header = mail.outbox[0].extra_headers["List-Unsubscribe"]
    token = _token(header)
    client = Client(enforce_csrf_checks=True)  # mail clients post without a CSRF token

    response = client.post(
        f"/o/acme/notifications/unsubscribe/one-click/?token={token}",
        {"List-Unsubscribe": "One-Click"},
    )
    assert response.status_code == 200
    assert NotificationPreference.objects.get(organization=org).email_kinds == ["assigned"]


def test_a_pending_email_of_an_unsubscribed_kind_is_not_sent(
    org, admin, lead, membership_of, notify_member
):
    notify_member(org, lead, admin, "Admin mentioned you")
    token = emails.unsubscribe_token(membership_of(lead, org), [Kind.MENTION])
    Client().post(f"/o/acme/notifications/unsubscribe/?token={token}")
    assert services.notification_emails_send(organization=org).sent == 0
    assert mail.outbox == []


def test_a_tampered_or_foreign_token_changes_nothing(
    org, other_org, admin, lead, outsider, membership_of
):
    token = emails.unsubscribe_token(membership_of(lead, org), [Kind.MENTION])
    client = Client()
    assert client.post(f"/o/acme/notifications/unsubscribe/?token={token}x").status_code == 404
    # a valid token under another organization's URL
    assert client.post(f"/o/globex/notifications/unsubscribe/?token={token}").status_code == 404
    # the digest's token is not this one's
    from traceability.digest import unsubscribe_token as digest_token

    other = digest_token(membership_of(lead, org))
    assert client.post(f"/o/acme/notifications/unsubscribe/?token={other}").status_code == 404
    assert not NotificationPreference.objects.exists()
