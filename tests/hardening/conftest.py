"""Hardening: a deterministic Hypothesis profile, and an organization with one of everything
(plus another organization whose ids a hostile member may try), seen by admin, viewer and an
anonymous visitor."""

import re
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from hypothesis import HealthCheck, settings

from goals import services as goal_services
from goals.models import GoalStatus, Priority
from notifications import services as notification_services
from notifications.emails import unsubscribe_token as notification_unsubscribe_token
from tests.builders import make_goal, make_outcome, make_task
from tests.hardening import site
from traceability.digest import unsubscribe_token
from vindaris.tenancy import services as tenancy_services
from vindaris.tenancy.models import Membership, Organization, Role, User
from work import services as work_services
from work.models import Origin

# Same examples on every run and every machine; nothing stored between runs.
settings.register_profile(
    "hardening",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
        HealthCheck.differing_executors,
    ],
)
settings.load_profile("hardening")


@dataclass
class World:
    org: Organization
    other_org: Organization
    admin: User
    viewer: User
    # URL keyword values: one set on an active goal, one on a goal put on hold (its task is
    # stranded and suspect, so the keep and confirm forms show).
    samples: list[dict[str, str]]
    # Query strings a page needs to show its form (signed links from emails).
    page_queries: dict[str, dict[str, str]]
    # Another organization's primary keys: what a hostile member puts in a choice field.
    foreign_ids: list[str]
    own_ids: list[str]
    clients: dict[str, Client] = field(default_factory=dict)

    def org_pages(self) -> list[str]:
        """Every organization GET URL, once per sample set (duplicates dropped)."""
        pages: list[str] = []
        for r in site.routes("organization"):
            for samples in self.samples:
                path = site.fill(r.route, {"org_slug": self.org.slug, **samples})
                query = self.page_queries.get(r.name or "")
                if query:
                    path += "?" + urlencode(query)
                if path not in pages:
                    pages.append(path)
        return pages

    def public_pages(self) -> list[str]:
        pages: list[str] = []
        for r in site.routes("public"):
            for samples in self.samples:
                path = site.fill(r.route, samples)
                if path not in pages:
                    pages.append(path)
        return pages

    def forms(self, identity: str, pages: list[str]) -> dict[tuple[str, str], site.Form]:
        """Every form on `pages` as `identity` sees them, one per (method, route)."""
        client = self.clients[identity]
        found: list[site.Form] = []
        for path in pages:
            try:
                response = client.get(path, follow=True)
            except Exception:  # a broken page: test_vary.py and test_escaping.py, which GET
                continue  # every page, name it; it has no forms to offer here
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            final = response.request["PATH_INFO"]
            if response.request.get("QUERY_STRING"):
                final += "?" + response.request["QUERY_STRING"]
            forms = site.parse_page(response.content.decode(), final)
            found += forms
        return site.merge(found)


def _invitation_token(org: Organization, admin: User, email: str, capture) -> str:
    with capture(execute=True):
        tenancy_services.invitation_create(
            organization=org, actor=admin, email=email, role=Role.PLANNER
        )
    return re.search(r"/invite/([^/\s]+)/", mail.outbox[-1].body).group(1)  # type: ignore[union-attr]


@pytest.fixture
def world(
    org,
    other_org,
    admin,
    lead,
    planner,
    viewer,
    outsider,
    membership_of,
    url_samples,
    django_capture_on_commit_callbacks,
) -> World:
    org.allow_goalless_work = True
    org.save(update_fields=["allow_goalless_work"])
    planner_m = membership_of(planner, org)
    active = make_goal(org, lead, "Win the mid-market", priority=Priority.P1)
    child = make_goal(org, lead, "Open Lyon", parent=active)
    on_hold = make_goal(org, lead, "Launch in Spain")
    outcome = make_outcome(org, lead, active, unit="k€")
    task = make_task(org, planner, active, "Call prospects", outcome=outcome, assignee=planner_m)
    make_task(org, planner, child, "Rent an office")
    make_task(org, planner, None, "Fix the export", origin=Origin.QUICK_ADD)
    stranded = make_task(org, planner, on_hold, "Translate the site")
    goal_services.goal_update(organization=org, actor=lead, goal=on_hold, status=GoalStatus.ON_HOLD)
    work_services.check_in_record(
        organization=org, actor=lead, outcome=outcome, value=Decimal("120"), note="Good week"
    )
    token = _invitation_token(org, admin, "newcomer@acme.test", django_capture_on_commit_callbacks)
    other_goal = make_goal(other_org, outsider, "Their goal")
    other_outcome = make_outcome(other_org, outsider, other_goal)
    other_task = make_task(other_org, outsider, other_goal, "Their task", outcome=other_outcome)
    with django_capture_on_commit_callbacks(execute=True):
        other_invitation = tenancy_services.invitation_create(
            organization=other_org, actor=outsider, email="someone@globex.test", role=Role.VIEWER
        )
    reset_uid = urlsafe_base64_encode(force_bytes(planner.pk))
    reset_token = default_token_generator.make_token(planner)
    viewer_m = membership_of(viewer, org)
    # a grant, so the goal's access page offers a "Remove" form too
    goal_services.goal_share(
        organization=org, actor=lead, goal=active, member=viewer_m, access="view"
    )
    # url_samples (tests/conftest.py) names a value for every URL keyword the isolation test
    # knows; ours override the ones this package needs on particular objects.
    samples = [
        {
            **url_samples,
            "goal_number": str(active.number),
            "outcome_number": str(outcome.number),
            "task_number": str(task.number),
            "token": token,
            "uidb64": reset_uid,
        },
        {
            **url_samples,
            "goal_number": str(on_hold.number),
            "outcome_number": str(outcome.number),
            "task_number": str(stranded.number),
            "token": reset_token,
            "uidb64": reset_uid,
        },
    ]
    digest_token = unsubscribe_token(viewer_m)
    # a notification each, so the notifications page offers its forms to both
    notification_services.notify(
        organization=org,
        recipients=[membership_of(admin, org), viewer_m],
        kind="mention",
        actor=lead,
        text="Lead mentioned you",
        path=f"/o/{org.slug}/goals/{active.number}/",
    )
    notification_token = notification_unsubscribe_token(viewer_m, ["mention", "assigned"])
    w = World(
        org=org,
        other_org=other_org,
        admin=admin,
        viewer=viewer,
        samples=samples,
        page_queries={
            "digest_unsubscribe": {"token": digest_token},
            "digest_unsubscribe_one_click": {"token": digest_token},
            "notification_unsubscribe": {"token": notification_token},
            "notification_unsubscribe_one_click": {"token": notification_token},
        },
        foreign_ids=[
            str(pk)
            for pk in (
                other_goal.pk,
                other_outcome.pk,
                other_task.pk,
                other_invitation.pk,
                membership_of(outsider, other_org).pk,
                outsider.pk,
                other_org.pk,
            )
        ],
        own_ids=[
            str(pk)
            for pk in (
                active.pk,
                on_hold.pk,
                outcome.pk,
                task.pk,
                stranded.pk,
                planner_m.pk,
                viewer_m.pk,
                *Membership.objects.filter(organization=org).values_list("pk", flat=True),
            )
        ],
    )
    w.clients = {"anonymous": Client()}
    for name, user in (("admin", admin), ("viewer", viewer)):
        c = Client()
        c.force_login(user)
        w.clients[name] = c
    mail.outbox.clear()
    return w
