"""notify: one statement for many recipients, only the organization's members, never the actor."""

import pytest
from django.core.exceptions import ValidationError

from notifications import services
from notifications.models import Kind, Notification

pytestmark = pytest.mark.django_db


def test_it_notifies_every_recipient_in_one_statement(
    org, admin, lead, planner, viewer, membership_of, django_assert_num_queries
):
    recipients = [membership_of(u, org) for u in (lead, planner, viewer)]
    with django_assert_num_queries(1):
        made = services.notify(
            organization=org,
            recipients=recipients,
            kind=Kind.MENTION,
            actor=admin,
            text="Admin mentioned you on G-1",
            path="/o/acme/goals/1/",
        )
    assert made == 3
    rows = Notification.objects.filter(organization=org).order_by("recipient_id")
    assert [n.recipient_id for n in rows] == sorted(m.pk for m in recipients)
    assert {(n.kind, n.actor_id, n.text, n.path) for n in rows} == {
        ("mention", admin.pk, "Admin mentioned you on G-1", "/o/acme/goals/1/")
    }
    assert all(n.read_at is None and n.emailed_at is None for n in rows)


def test_it_never_notifies_the_actor(org, admin, lead, membership_of):
    made = services.notify(
        organization=org,
        recipients=[membership_of(admin, org), membership_of(lead, org)],
        kind=Kind.REPLY,
        actor=admin,
        text="Admin replied",
        path="/o/acme/goals/1/",
    )
    assert made == 1
    assert list(
        Notification.objects.filter(organization=org).values_list("recipient_id", flat=True)
    ) == [membership_of(lead, org).pk]


def test_it_never_reaches_another_organizations_member(
    org, other_org, admin, lead, outsider, membership_of
):
    made = services.notify(
        organization=org,
        recipients=[membership_of(outsider, other_org).pk, membership_of(lead, org).pk],
        kind=Kind.MENTION,
        actor=admin,
        text="Admin mentioned you",
        path="/o/acme/goals/1/",
    )
    assert made == 1
    assert not Notification.objects.filter(organization=other_org).exists()
    assert Notification.objects.get(organization=org).recipient_id == membership_of(lead, org).pk


@pytest.mark.parametrize(
    "path", ["/o/globex/goals/1/", "https://evil.test/", "//evil.test/o/acme/", "/o/acme//x"]
)
def test_it_refuses_a_path_outside_the_organization(org, admin, lead, membership_of, path):
    with pytest.raises(ValidationError):
        services.notify(
            organization=org,
            recipients=[membership_of(lead, org)],
            kind=Kind.MENTION,
            actor=admin,
            text="x",
            path=path,
        )
    assert not Notification.objects.exists()


def test_it_refuses_an_unknown_kind(org, admin, lead, membership_of):
    with pytest.raises(ValidationError):
        services.notify(
            organization=org,
            recipients=[membership_of(lead, org)],
            kind="gossip",
            actor=admin,
            text="x",
            path="/o/acme/",
        )
