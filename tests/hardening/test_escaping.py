"""User-written text is inert everywhere it is shown: markup stored in every text field, through
the real services, never comes back as markup, on any page (found from the URL patterns), in any
htmx fragment a form answers with, or in the emails."""

import re
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core import mail
from django.utils.html import escape

from goals import services as goal_services
from goals.models import GoalStatus
from tests.builders import make_goal, make_outcome, make_task
from tests.hardening import site
from tests.hardening.conftest import World
from tests.hardening.fuzz import fuzzing
from traceability import services as traceability_services
from traceability.digest import render_digest
from vindaris.tenancy import services as tenancy_services
from vindaris.tenancy.models import Membership, Role
from work import services as work_services
from work.models import Origin

# What must never come back raw: an element or an attribute breaking out of its quotes.
RAW = re.compile(r"<script>alert\(|<img src=x|\"><img|<b>bold", re.IGNORECASE)


def payload(field: str, *, short: bool = False) -> str:
    """Markup naming its field, so the escaped copy found on a page tells which field it is."""
    if short:  # for a 30-character column
        return f"<b>bold</b>{field}"[:30]
    return f'<script>alert("{field}")</script>"><img src=x onerror=alert(1)> {field}'


FIELDS = {
    "organization name": payload("organization name"),
    "user name": payload("user name"),
    "goal title": payload("goal title"),
    "goal description": payload("goal description"),
    "outcome title": payload("outcome title"),
    "outcome unit": payload("unit", short=True),
    "task title": payload("task title"),
    "task description": payload("task description"),
    "check-in note": payload("check-in note"),
    "move reason": payload("move reason"),
    "keep reason": payload("keep reason"),
}


@dataclass
class Marked:
    world: World
    pages: list[str]


@pytest.fixture
def marked(world, lead, planner, membership_of, django_capture_on_commit_callbacks) -> Marked:
    """Markup in every user-written text field, written through the services."""
    org = world.org
    tenancy_services.organization_update(
        organization=org,
        actor=world.admin,
        name=FIELDS["organization name"],
        timezone_name=org.timezone,
        digest_weekday=org.digest_weekday,
        allow_goalless_work=True,
        starved_grace_days=0,
    )
    planner.name = FIELDS["user name"]  # no service edits a name; sign-up and invitations set it
    planner.save(update_fields=["name"])
    planner_m = membership_of(planner, org)
    goal = make_goal(
        org, lead, FIELDS["goal title"], description=FIELDS["goal description"], owner=planner_m
    )
    other = make_goal(org, lead, "Plain goal")
    outcome = make_outcome(org, lead, goal, FIELDS["outcome title"], unit=FIELDS["outcome unit"])
    task = make_task(
        org,
        planner,
        goal,
        FIELDS["task title"],
        description=FIELDS["task description"],
        outcome=outcome,
        assignee=planner_m,
    )
    work_services.check_in_record(
        organization=org,
        actor=planner,
        outcome=outcome,
        value=Decimal("150"),
        note=FIELDS["check-in note"],
        credited_tasks=[task],
    )
    moved = make_task(org, planner, other, f"Moved {FIELDS['task title']}")
    work_services.task_move(
        organization=org, actor=planner, task=moved, to_goal=goal, reason=FIELDS["move reason"]
    )
    held = make_goal(org, lead, f"Held {FIELDS['goal title']}")
    kept = make_task(org, planner, held, f"Kept {FIELDS['task title']}")
    goal_services.goal_update(organization=org, actor=lead, goal=held, status=GoalStatus.ON_HOLD)
    work_services.task_keep(
        organization=org, actor=planner, task=kept, reason=FIELDS["keep reason"]
    )
    make_task(org, planner, None, f"Orphaned {FIELDS['task title']}", origin=Origin.QUICK_ADD)
    # A goal renamed to markup, so its history shows the old and the new title.
    goal_services.goal_update(
        organization=org, actor=lead, goal=other, title=f"Renamed {FIELDS['goal title']}"
    )
    samples = [
        {
            "goal_number": str(goal.number),
            "outcome_number": str(outcome.number),
            "task_number": str(task.number),
        },
        {
            "goal_number": str(held.number),
            "outcome_number": str(outcome.number),
            "task_number": str(kept.number),
        },
        {
            "goal_number": str(other.number),
            "outcome_number": str(outcome.number),
            "task_number": str(moved.number),
        },
    ]
    world.samples = [{**world.samples[0], **s} for s in samples]
    return Marked(world=world, pages=world.org_pages() + world.public_pages())


def _raw(body: str) -> list[str]:
    return sorted({m.group(0) for m in RAW.finditer(body)})


def _shown(body: str) -> set[str]:
    """The fields whose escaped payload is in the body."""
    return {name for name, text in FIELDS.items() if escape(text) in body}


def test_markup_in_every_text_field_is_escaped_on_every_page(marked):
    world = marked.world
    leaks, shown = [], set()
    with fuzzing():
        for identity in ("admin", "viewer", "anonymous"):
            client = world.clients[identity]
            for path in marked.pages:
                for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
                    response = client.get(path, follow=True, **headers)
                    body = site.body(response)
                    if "text/html" not in response.get("Content-Type", ""):
                        continue  # a CSV export holds the text as typed; browsers never run it
                    if _raw(body):
                        leaks.append(f"{identity} GET {path} {headers}: {_raw(body)}")
                    shown |= _shown(body)
    assert leaks == []
    assert shown == set(FIELDS), f"Never shown anywhere: {set(FIELDS) - shown}"


def test_markup_is_escaped_in_what_every_form_answers(marked):
    """Each form submitted as the page offers it, plain and htmx: the fragments and pages that
    come back (rows, cards, messages) escape the titles they repeat."""
    world = marked.world
    forms = world.forms("admin", marked.pages)
    leaks = []
    with fuzzing():
        for (method, name), form in sorted(forms.items()):
            if method != "post" or name == "logout":
                continue
            for htmx in (False, True):
                ex = site.exchange(
                    world.clients["admin"], "post", form.action, form.body(), htmx=htmx
                )
                body = site.body(ex.response) if ex.response else ""
                if _raw(body) or ex.problems():
                    leaks.append(f"{ex.label}: {_raw(body)} {ex.problems()}")
    assert leaks == []


def test_markup_is_escaped_in_the_digest_email_and_plain_in_its_text(marked):
    world = marked.world
    admin_m = Membership.objects.get(organization=world.org, user=world.admin)
    digest = traceability_services.digest_for_member(organization=world.org, membership=admin_m)
    message = render_digest(digest)
    html = message.alternatives[0][0]
    assert _raw(html) == []
    assert {"organization name", "task title", "goal title"} <= _shown(html)
    # The text part is text/plain: markup is shown as typed, not as entities.
    assert FIELDS["task title"] in message.body and escape(FIELDS["task title"]) not in message.body
    assert "\n" not in message.subject and FIELDS["organization name"] in message.subject


def test_markup_is_escaped_in_the_invitation_email(marked, django_capture_on_commit_callbacks):
    world = marked.world
    world.admin.name = FIELDS["user name"]
    world.admin.save(update_fields=["name"])
    with django_capture_on_commit_callbacks(execute=True):
        tenancy_services.invitation_create(
            organization=world.org, actor=world.admin, email="x@acme.test", role=Role.VIEWER
        )
    message = mail.outbox[-1]
    html = message.alternatives[0][0]
    assert _raw(html) == []
    assert {"organization name", "user name"} <= _shown(html)
