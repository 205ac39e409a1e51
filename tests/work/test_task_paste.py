"""Several tasks at once on a goal's page: a pasted list, one task per line, previewed and then
created in one go, all or nothing, each with its history row."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from goals import services as goal_services
from goals.models import GoalStatus
from tests.builders import make_goal, make_outcome, make_task
from work import services
from work.forms import TaskPasteForm, parse_pasted_tasks
from work.models import Origin, Task, TaskEvent, TaskStatus

FIVE = "\n".join(
    [
        "- Call ten prospects ~3",
        "* Draft the pricing page ~5",
        "",
        "1. Review the contract",
        "[ ] Book the venue ~2",
        "  Send the invitations  ",
    ]
)
# What FIVE makes, worked out from its lines: (line, title, estimate).
FIVE_TASKS = [
    (1, "Call ten prospects", 3),
    (2, "Draft the pricing page", 5),
    (4, "Review the contract", 1),
    (5, "Book the venue", 2),
    (6, "Send the invitations", 1),
]
HEX64 = re.compile(r'name="previewed" value="([0-9a-f]{64})"')


@pytest.fixture
def goal(org, lead):
    make_goal(org, lead, "Win the mid-market")  # G-1: the goal of the page is G-2
    return make_goal(org, lead, "Grow revenue")


@pytest.fixture
def outcome(org, lead, goal):
    return make_outcome(org, lead, goal, "Monthly revenue")


def paste_url(org, goal) -> str:
    return f"/o/{org.slug}/goals/{goal.number}/tasks/paste/"


def preview(client, org, goal, text: str, *, outcome=None, **headers):
    data = {"lines": text, "step": "preview", "outcome": outcome.pk if outcome else ""}
    return client.post(paste_url(org, goal), data, **headers)


def fingerprint_of(html: str) -> str:
    found = HEX64.search(html)
    assert found, "the preview offers no Create button"
    return found.group(1)


def create(client, org, goal, text: str, fingerprint: str, *, outcome=None, **headers):
    data = {
        "lines": text,
        "step": "create",
        "previewed": fingerprint,
        "outcome": outcome.pk if outcome else "",
    }
    return client.post(paste_url(org, goal), data, **headers)


def nothing_written() -> bool:
    return not Task.objects.exists() and not TaskEvent.objects.exists()


# Reading the pasted list ----------------------------------------------------------------------


def test_each_non_blank_line_makes_a_task_and_keeps_its_line_number():
    paste = parse_pasted_tasks(FIVE)
    assert [(line.number, line.title, line.estimate) for line in paste.taken] == FIVE_TASKS
    assert paste.refused == [] and paste.ready


@pytest.mark.parametrize(
    "line",
    [
        "- Call",
        "* Call",
        "+ Call",
        "• Call",
        "1. Call",
        "12) Call",
        "[ ] Call",
        "[x] Call",
        "[] Call",
        "- [ ] Call",
        "3. [X] Call",
    ],
)
def test_list_markers_and_checkboxes_are_left_out(line):
    (taken,) = parse_pasted_tasks(line).taken
    assert taken.title == "Call"


@pytest.mark.parametrize(
    ("line", "title"),
    [
        ("-1 day of lead time", "-1 day of lead time"),
        ("**Bold** claims", "**Bold** claims"),
        ("3.5 release notes", "3.5 release notes"),
        ("2024 plan", "2024 plan"),
        ("Cut latency ~20%", "Cut latency ~20%"),
    ],
)
def test_what_only_looks_like_a_marker_or_an_estimate_stays_in_the_title(line, title):
    (taken,) = parse_pasted_tasks(line).taken
    assert (taken.title, taken.estimate) == (title, 1)


@pytest.mark.parametrize(
    ("line", "title", "estimate"),
    [
        ("Call ~3", "Call", 3),
        ("Call~3", "Call", 3),
        ("Call ~ 8", "Call", 8),
        ("Call ~0", "Call", 0),
        ("Call", "Call", 1),
        ("- Call ~13", "Call", 13),
    ],
)
def test_a_trailing_tilde_number_is_the_estimate(line, title, estimate):
    (taken,) = parse_pasted_tasks(line).taken
    assert (taken.title, taken.estimate) == (title, estimate)


def test_blank_lines_are_ignored_and_whitespace_is_tidied():
    paste = parse_pasted_tasks("\r\n\r\n  Call\t ten   prospects  \r\n \t \r\nBook it\n")
    assert [(line.number, line.title) for line in paste.lines] == [
        (3, "Call ten prospects"),
        (5, "Book it"),
    ]


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("- ", "The line has no title."),
        ("~3", "The line has no title."),
        ("1.", "The line has no title."),
        ("Call ~1.5", "Effort is a whole number of points, like ~3."),
        ("Call ~2,5", "Effort is a whole number of points, like ~3."),
        ("Call ~2147483648", "The estimate is too large."),
        ("Call ~99999999999999999999", "The estimate is too large."),
        ("x" * 201, "The title has 201 characters: keep it to 200."),
        ("- " + "x" * 201 + " ~3", "The title has 201 characters: keep it to 200."),
    ],
)
def test_lines_that_make_no_task_say_why(line, error):
    paste = parse_pasted_tasks(f"Fine\n{line}")
    assert [(r.number, r.error) for r in paste.refused] == [(2, error)]
    assert [t.title for t in paste.taken] == ["Fine"]
    assert not paste.ready


def test_a_title_of_200_characters_and_the_largest_estimate_are_taken():
    (taken,) = parse_pasted_tasks("y" * 200 + " ~2147483647").taken
    assert (len(taken.title), taken.estimate) == (200, 2147483647)


# The form --------------------------------------------------------------------------------------


def test_at_most_100_tasks_at_a_time(org, goal):
    hundred = "\n".join(f"Task {i}" for i in range(100)) + "\n\n\n"
    assert TaskPasteForm({"lines": hundred}, goal=goal).is_valid()
    form = TaskPasteForm({"lines": hundred + "One too many"}, goal=goal)
    assert not form.is_valid()
    assert form.errors["lines"] == [
        "Paste at most 100 tasks at a time: this list has 101. Split it in parts."
    ]


def test_an_empty_list_is_refused(org, goal):
    for text in ("", "\n \n\t\n"):
        form = TaskPasteForm({"lines": text}, goal=goal)
        assert not form.is_valid()
        assert form.errors["lines"] == ["Paste or type the tasks, one per line."]


def test_the_fingerprint_follows_what_would_be_created_not_how_it_was_typed(
    org, lead, goal, outcome
):
    def fingerprint(text: str, outcome_id: object = "") -> str:
        form = TaskPasteForm({"lines": text, "outcome": outcome_id}, goal=goal)
        assert form.is_valid(), form.errors
        return form.fingerprint()

    same = fingerprint("- Call ~3\nBook it")
    assert fingerprint("Call  ~3\r\n\r\n[ ] Book it") == same
    assert fingerprint("Call ~3\nBook it ~2") != same
    assert fingerprint("Book it\nCall ~3") != same
    assert fingerprint("- Call ~3\nBook it", outcome.pk) != same


def test_only_an_outcome_of_this_goal_can_be_chosen(org, other_org, lead, outsider, goal):
    elsewhere = make_outcome(org, lead, make_goal(org, lead, "Another goal"), "Elsewhere")
    foreign = make_outcome(other_org, outsider, make_goal(other_org, outsider, "Theirs"))
    for outcome in (elsewhere, foreign):
        form = TaskPasteForm({"lines": "Call", "outcome": outcome.pk}, goal=goal)
        assert not form.is_valid()
        assert "Select a valid choice" in form.errors["outcome"][0]


# The service -----------------------------------------------------------------------------------


def test_the_service_creates_every_draft_in_order_with_its_history_row(
    org, lead, planner, goal, outcome
):
    make_task(org, lead, goal, "Earlier work")  # T-1
    drafts = [services.TaskDraft("First", 3), services.TaskDraft("Second", 0)]
    tasks = services.task_create_many(
        organization=org, actor=planner, goal=goal, drafts=drafts, outcome=outcome
    )
    assert [(t.number, t.title, t.estimate) for t in tasks] == [(2, "First", 3), (3, "Second", 0)]
    stored = Task.objects.filter(organization=org, number__in=[2, 3]).order_by("number")
    for task in stored:
        assert (task.goal, task.outcome, task.origin) == (goal, outcome, Origin.GOAL_PAGE)
        assert (task.status, task.created_by) == (TaskStatus.TODO, planner)
        (event,) = TaskEvent.objects.filter(organization=org, task=task)
        assert (event.kind, event.actor, event.to_goal) == ("created", planner, goal)
        assert event.to_status == TaskStatus.TODO


@pytest.mark.parametrize(
    ("drafts", "message"),
    [
        ([], "Give at least one task to create."),
        ([("Fine", 1), ("  ", 1)], "Give the task a title."),
        ([("Fine", 1), ("x" * 201, 1)], "Keep each title to 200 characters"),
        ([("Fine", 1), ("Negative", -1)], "Effort is a whole number of points, 0 or more."),
        ([("Task", 1)] * 101, "Create at most 100 tasks at once (101 were given)."),
    ],
)
def test_the_service_creates_all_or_nothing(org, planner, goal, drafts, message):
    with pytest.raises(ValidationError) as raised:
        services.task_create_many(
            organization=org,
            actor=planner,
            goal=goal,
            drafts=[services.TaskDraft(*d) for d in drafts],
        )
    assert message in " ".join(raised.value.messages)
    assert nothing_written()


def test_the_service_refuses_an_outcome_of_another_goal_or_organization(
    org, other_org, lead, planner, outsider, goal
):
    elsewhere = make_outcome(org, lead, make_goal(org, lead, "Another goal"), "Elsewhere")
    theirs = make_goal(other_org, outsider, "Theirs")
    drafts = [services.TaskDraft("Call", 1)]
    for kwargs in ({"outcome": elsewhere}, {"goal": theirs}):
        with pytest.raises(ValidationError):
            services.task_create_many(
                organization=org, actor=planner, **{"goal": goal, "drafts": drafts, **kwargs}
            )
    assert nothing_written()


# The goal page's disclosure --------------------------------------------------------------------


def test_planners_see_the_paste_disclosure_viewers_do_not(org, planner, viewer, goal, client_for):
    html = client_for(planner).get(f"/o/acme/goals/{goal.number}/").content.decode()
    assert f'<details id="goal-{goal.number}-task-paste" class="card task-paste">' in html
    assert "<summary>Paste several tasks</summary>" in html
    assert f'action="{paste_url(org, goal)}"' in html
    assert "End a line with ~3 to estimate it at 3 effort points" in html
    viewer_html = client_for(viewer).get(f"/o/acme/goals/{goal.number}/").content.decode()
    assert "Paste several tasks" not in viewer_html and paste_url(org, goal) not in viewer_html


# Step 1: the preview ---------------------------------------------------------------------------


def test_the_preview_lists_the_tasks_and_the_refused_lines_and_writes_nothing(
    org, planner, goal, client_for, htmx_headers
):
    text = FIVE + "\n- ~4\nShip it ~1.5\n" + "z" * 210
    response = preview(client_for(planner), org, goal, text, **htmx_headers)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<form id="goal-{goal.number}-paste-form"' in html and "<html" not in html
    rows = re.findall(
        r'<tr><td class="num">(\d+)</td><td>(.*?)</td><td class="num">(\d+) pts?</td></tr>', html
    )
    assert rows == [(str(n), title, str(e)) for n, title, e in FIVE_TASKS]
    assert "5 tasks to create under G-2" in html
    assert "3 lines cannot be taken:" in html
    assert "Line 7: The line has no title." in html
    assert "Line 8: Effort is a whole number of points, like ~3." in html
    assert "Line 9: The title has 210 characters: keep it to 200." in html
    # Not ready: no Create button until every line makes a task.
    assert 'value="create"' not in html and not HEX64.search(html)
    assert "Fix or remove the lines that cannot be taken, then preview again." in html
    assert nothing_written()


def test_a_ready_preview_offers_to_create_them_all(org, planner, goal, client_for, htmx_headers):
    html = preview(client_for(planner), org, goal, FIVE, **htmx_headers).content.decode()
    assert "Create 5 tasks under G-2</button>" in html
    assert 'id="goal-2-paste-refused"' not in html
    assert "Call ten prospects ~3" in html  # the text stays in the textarea, to edit
    fingerprint_of(html)
    assert nothing_written()


def test_without_javascript_the_preview_is_the_goal_page_with_the_disclosure_open(
    org, planner, goal, client_for
):
    response = preview(client_for(planner), org, goal, FIVE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html and 'id="goal-2-counts"' in html
    assert f'<details id="goal-{goal.number}-task-paste" class="card task-paste" open>' in html
    assert "Create 5 tasks under G-2</button>" in html
    assert nothing_written()


def test_the_preview_names_the_outcome_and_warns_when_the_goal_is_not_active(
    org, lead, planner, goal, outcome, client_for, htmx_headers
):
    goal_services.goal_update(organization=org, actor=lead, goal=goal, status=GoalStatus.ON_HOLD)
    html = preview(
        client_for(planner), org, goal, "Call", outcome=outcome, **htmx_headers
    ).content.decode()
    assert "1 task to create under G-2, aimed at O-1" in html
    assert "G-2 is on hold: work created under it is stranded" in html
    assert "Create 1 task under G-2</button>" in html


def test_titles_with_markup_are_shown_as_text(org, planner, goal, client_for, htmx_headers):
    html = preview(
        client_for(planner), org, goal, '<img src=x onerror="alert(1)"> & Co', **htmx_headers
    ).content.decode()
    assert "<img src=x" not in html
    assert "<td>&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; Co</td>" in html


def test_an_empty_or_oversized_list_is_shown_with_its_error(
    org, planner, goal, client_for, htmx_headers
):
    client = client_for(planner)
    response = preview(client, org, goal, "  \n", **htmx_headers)
    assert response.status_code == 422
    assert "Paste or type the tasks, one per line." in response.content.decode()
    many = "\n".join(f"Task {i}" for i in range(120))
    response = preview(client, org, goal, many, **htmx_headers)
    assert response.status_code == 422
    html = response.content.decode()
    assert "Paste at most 100 tasks at a time: this list has 120." in html
    assert "Task 119" in html  # what was pasted is kept, to split
    response = preview(client, org, goal, many)  # without JavaScript: the page, with the error
    assert response.status_code == 200
    assert "Paste at most 100 tasks at a time" in response.content.decode()
    assert nothing_written()


# Step 2: creating them -------------------------------------------------------------------------


def test_creating_makes_every_previewed_task_under_the_goal_with_history(
    org, planner, goal, outcome, client_for
):
    client = client_for(planner)
    fingerprint = fingerprint_of(preview(client, org, goal, FIVE, outcome=outcome).content.decode())
    response = create(client, org, goal, FIVE, fingerprint, outcome=outcome)
    assert response.status_code == 302
    assert response["Location"] == f"/o/acme/goals/{goal.number}/#goal-{goal.number}-work"

    tasks = list(Task.objects.filter(organization=org).order_by("number"))
    assert [(t.number, t.title, t.estimate) for t in tasks] == [
        (1, "Call ten prospects", 3),
        (2, "Draft the pricing page", 5),
        (3, "Review the contract", 1),
        (4, "Book the venue", 2),
        (5, "Send the invitations", 1),
    ]
    for task in tasks:
        assert (task.goal, task.outcome, task.origin) == (goal, outcome, Origin.GOAL_PAGE)
        assert task.status == TaskStatus.TODO and task.created_by == planner
    events = TaskEvent.objects.filter(organization=org).order_by("task__number")
    assert [(e.task.number, e.kind, e.to_goal, e.actor) for e in events] == [
        (n, "created", goal, planner) for n in range(1, 6)
    ]

    page = client.get(response["Location"]).content.decode()
    assert "5 tasks created under G-2." in page
    for title in ("Call ten prospects", "Send the invitations"):
        assert title in page
    assert 'id="goal-2-live-tasks">5<' in page
    assert 'id="goal-2-live-effort">12 pts' in page  # 3 + 5 + 1 + 2 + 1


def test_with_htmx_creating_reloads_the_goal_page(org, planner, goal, client_for, htmx_headers):
    client = client_for(planner)
    html = preview(client, org, goal, "Call\nBook it", **htmx_headers).content.decode()
    response = create(client, org, goal, "Call\nBook it", fingerprint_of(html), **htmx_headers)
    assert response.status_code == 200
    # The goal page itself: the same URL with a fragment would only scroll, not reload.
    assert response["HX-Redirect"] == f"/o/acme/goals/{goal.number}/"
    assert list(Task.objects.order_by("number").values_list("title", flat=True)) == [
        "Call",
        "Book it",
    ]


def test_a_list_changed_since_its_preview_is_previewed_again_and_nothing_is_created(
    org, planner, goal, outcome, client_for, htmx_headers
):
    client = client_for(planner)
    fingerprint = fingerprint_of(preview(client, org, goal, FIVE, **htmx_headers).content.decode())
    changed = FIVE + "\nOne more"
    response = create(client, org, goal, changed, fingerprint, **htmx_headers)
    assert response.status_code == 422
    html = response.content.decode()
    assert "The list changed since its preview" in html
    assert "Create 6 tasks under G-2</button>" in html  # the new preview, ready to create
    # The same list with another outcome is another list too.
    response = create(client, org, goal, FIVE, fingerprint, outcome=outcome, **htmx_headers)
    assert "The list changed since its preview" in response.content.decode()
    # Nor is anything created without a preview.
    response = create(client, org, goal, FIVE, "", **htmx_headers)
    assert "The list changed since its preview" in response.content.decode()
    assert nothing_written()
    # Creating from the new preview works.
    new = fingerprint_of(html)
    assert create(client, org, goal, changed, new).status_code == 302
    assert Task.objects.filter(organization=org, goal=goal).count() == 6


def test_a_list_with_a_bad_line_creates_nothing(org, planner, goal, client_for, htmx_headers):
    client = client_for(planner)
    good = "Call\nBook it"
    fingerprint = fingerprint_of(preview(client, org, goal, good, **htmx_headers).content.decode())
    response = create(client, org, goal, good + "\n" + "x" * 300, fingerprint, **htmx_headers)
    assert response.status_code == 422
    html = response.content.decode()
    assert "Nothing was created: fix or remove the lines that cannot be taken." in html
    assert "Line 3: The title has 300 characters: keep it to 200." in html
    assert nothing_written()


def test_without_javascript_a_refused_create_re_renders_the_goal_page(
    org, planner, goal, client_for
):
    response = create(client_for(planner), org, goal, FIVE, "0" * 64)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html and "The list changed since its preview" in html
    assert nothing_written()


# Who may paste ---------------------------------------------------------------------------------


def test_csrf_is_required(org, planner, goal):
    client = Client(enforce_csrf_checks=True)
    client.force_login(planner)
    response = client.post(paste_url(org, goal), {"lines": "Call", "step": "preview"})
    assert response.status_code == 403
    assert nothing_written()


def test_viewers_get_403_and_write_nothing(org, viewer, goal, client_for, htmx_headers):
    client = client_for(viewer)
    assert preview(client, org, goal, "Call").status_code == 403
    assert create(client, org, goal, "Call", "0" * 64, **htmx_headers).status_code == 403
    assert nothing_written()


def test_another_organizations_goal_and_a_hidden_goal_are_404(
    org, other_org, lead, planner, outsider, goal, client_for
):
    theirs = make_goal(other_org, outsider, "Their goal")
    secret = make_goal(org, lead, "Acquire Initech", confidential=True)
    client = client_for(planner)
    assert preview(client, other_org, theirs, "Call").status_code == 404
    assert client.post("/o/acme/goals/999/tasks/paste/", {"lines": "Call"}).status_code == 404
    assert preview(client, org, secret, "Call").status_code == 404
    assert preview(client_for(outsider), org, goal, "Call").status_code == 404
    assert nothing_written()


def test_a_get_is_not_allowed(org, planner, goal, client_for):
    assert client_for(planner).get(paste_url(org, goal)).status_code == 405


# A fixed number of queries ---------------------------------------------------------------------


def lines(n: int) -> str:
    return "\n".join(f"- Task {i} ~{i % 5}" for i in range(n))


def counted(client, org, goal, text: str, step: str, fingerprint: str = "", **headers) -> int:
    data = {"lines": text, "step": step, "previewed": fingerprint}
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(paste_url(org, goal), data, **headers)
    assert response.status_code in (200, 302), response.content.decode()[:300]
    return len(ctx.captured_queries)


@pytest.mark.parametrize("headers", [{}, {"HTTP_HX_REQUEST": "true"}], ids=["page", "htmx"])
def test_the_preview_runs_the_same_queries_for_5_and_50_lines(
    org, planner, goal, outcome, client_for, headers
):
    client = client_for(planner)
    counted(client, org, goal, lines(1), "preview", **headers)  # warm-up: the session
    assert counted(client, org, goal, lines(5), "preview", **headers) == counted(
        client, org, goal, lines(50), "preview", **headers
    )


def test_creating_runs_the_same_queries_for_5_and_50_lines(org, planner, goal, client_for):
    client = client_for(planner)

    def create_counted(text: str) -> int:
        fingerprint = fingerprint_of(preview(client, org, goal, text).content.decode())
        return counted(client, org, goal, text, "create", fingerprint)

    # The warm-up writes what a test's one transaction writes once (the job request).
    create_counted(lines(1))
    few, many = create_counted(lines(5)), create_counted(lines(50))
    assert few == many
    assert Task.objects.filter(organization=org, goal=goal).count() == 56
