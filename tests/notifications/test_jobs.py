"""The email job for real: a Celery worker process against the test database and Redis,
sending through Django's mail system into files."""

import pytest

from notifications.models import Kind, Notification
from tests.traceability.conftest import celery_worker  # noqa: F401 - the real worker fixture
from vindaris.celery import app

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_job_sent_twice_emails_each_member_once(
    celery_worker,  # noqa: F811 - the fixture imported above
    org,
    admin,
    lead,
    planner,
    notify_member,
):
    notify_member(org, lead, admin, "Admin mentioned you on G-1")
    notify_member(org, lead, planner, "Planner replied to you", kind=Kind.REPLY)
    notify_member(org, planner, admin, "Admin assigned you T-3", kind=Kind.ASSIGNED)
    celery_worker.wait_until_idle()

    for _ in range(2):
        app.send_task("notifications.send_emails", args=[org.pk])
    celery_worker.wait_until_idle()

    emails = [
        m
        for m in celery_worker.emails()
        if "notifications/unsubscribe" in (m["List-Unsubscribe"] or "")
    ]
    assert sorted(m["To"] for m in emails) == sorted([lead.email, planner.email])
    to_lead = next(m for m in emails if m["To"] == lead.email)
    assert to_lead["Subject"] == "Acme: 2 new notifications"
    assert Notification.objects.filter(organization=org, emailed_at__isnull=True).count() == 0
