"""The importer end to end through its services and the job body: dry run, mapping, apply,
re-import, and what nothing-changes means for bad input. The background job is the real one
(`run_pending`, what the Celery task runs), called in-process so that each step can be checked.
"""

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from goals.models import Goal, GoalStatus
from imports import services
from imports.mapping import Mapping
from imports.models import ImportRun, ImportState
from tests.builders import make_goal, make_task
from tests.factories import MembershipFactory, UserFactory
from traceability.selectors import coverage_headline
from vindaris.tenancy.models import Role
from work import services as work_services
from work.models import Origin, Task, TaskEvent, TaskStatus

pytestmark = pytest.mark.django_db

HEADER = "Issue key,Issue id,Summary,Issue Type,Status,Status Category,Assignee,Custom field (Epic Link),Custom field (Story point estimate),Due date\n"  # noqa: E501

# Two epics; PM-3 and PM-4 under PM-1 (checkout), PM-5 under PM-2, PM-6 under no epic.
FIRST = HEADER + (
    "PM-1,10001,Checkout revamp,Epic,In Progress,In Progress,,,,\n"
    "PM-2,10002,Search,Epic,To Do,To Do,,,,\n"
    "PM-3,10003,Pay with cards,Story,In Progress,In Progress,ana@acme.test,PM-1,3,\n"
    "PM-4,10004,Pay with wallets,Story,To Do,To Do,stranger@elsewhere.test,PM-1,2.5,\n"
    "PM-5,10005,Index products,Task,Done,Done,,PM-2,5,\n"
    "PM-6,10006,Fix the footer,Bug,Won't Do,Done,,,,25/Jun/26 12:44\n"
)


def upload(text: str, name: str = "jira.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode())


@pytest.fixture
def importer(org, lead, membership_of):
    return membership_of(lead, org)


@pytest.fixture
def ana(org):
    return MembershipFactory(
        organization=org, role=Role.PLANNER, user=UserFactory(email="Ana@Acme.test")
    )


def start(org, importer, text: str, **kwargs) -> ImportRun:
    run = services.import_start(
        organization=org, membership=importer, upload=upload(text), **kwargs
    )
    services.run_pending(org.pk)
    run.refresh_from_db()
    return run


def apply(org, importer, run: ImportRun, mapping: Mapping | None = None) -> ImportRun:
    if mapping is not None:
        services.import_remap(organization=org, membership=importer, run=run, mapping=mapping)
        services.run_pending(org.pk)
        run.refresh_from_db()
    services.import_apply(organization=org, membership=importer, run=run)
    services.run_pending(org.pk)
    run.refresh_from_db()
    return run


def mapped(run: ImportRun, **groups: str) -> Mapping:
    mapping = Mapping.from_json(run.mapping)
    mapping.groups.update(groups)
    return mapping


def test_the_dry_run_counts_and_proposes_a_mapping_and_changes_nothing(org, importer, ana):
    run = start(org, importer, FIRST)

    assert run.state == ImportState.READY
    plan = run.plan
    assert plan["format"] == "jira"
    # epics are groupings, not work: four tasks, all new
    assert plan["work_rows"] == 4
    assert plan["tasks"] == {"new": 4, "changed": 0, "unchanged": 0}
    assert {g["key"]: g["rows"] for g in plan["groups"]} == {"PM-1": 2, "PM-2": 1}
    assert {g["key"]: g["title"] for g in plan["groups"]} == {
        "PM-1": "Checkout revamp",
        "PM-2": "Search",
    }
    # nothing is mapped to a goal unless someone says so: the work would land orphaned
    assert run.mapping["groups"] == {"PM-1": "none", "PM-2": "none"}
    assert plan["linked_new"] == 0
    # statuses by category, a Done-category "Won't Do" as cancelled
    assert run.mapping["statuses"] == {
        "In Progress": "in_progress",
        "To Do": "todo",
        "Done": "done",
        "Won't Do": "cancelled",
    }
    # people by email, whatever the case; a stranger stays unassigned and is listed
    ana_member = ana.pk
    assert run.mapping["people"] == {"ana@acme.test": ana_member, "stranger@elsewhere.test": None}
    assert {p["name"]: p["matched"] for p in plan["people"]} == {
        "ana@acme.test": True,
        "stranger@elsewhere.test": False,
    }
    assert Task.objects.filter(organization=org).count() == 0
    assert Goal.objects.filter(organization=org).count() == 0


def test_apply_creates_the_work_with_its_source_key_history_and_mapping(org, importer, lead, ana):
    checkout = make_goal(org, lead, "Checkout converts")
    run = start(org, importer, FIRST)

    run = apply(org, importer, run, mapped(run, **{"PM-1": checkout.key, "PM-2": "new"}))

    assert run.state == ImportState.APPLIED, run.error
    tasks = {t.external_key: t for t in Task.objects.filter(organization=org)}
    assert set(tasks) == {"PM-3", "PM-4", "PM-5", "PM-6"}
    assert {t.origin for t in tasks.values()} == {Origin.IMPORT}
    assert {t.source for t in tasks.values()} == {"jira"}
    assert tasks["PM-3"].goal == checkout
    assert tasks["PM-4"].goal == checkout
    search = Goal.objects.get(organization=org, source="jira", external_key="PM-2")
    assert (search.title, search.status) == ("Search", GoalStatus.DRAFT)
    assert tasks["PM-5"].goal == search
    assert tasks["PM-6"].goal is None  # no epic: orphaned
    assert tasks["PM-3"].assignee_id == ana.pk
    assert tasks["PM-4"].assignee_id is None
    assert (tasks["PM-3"].estimate, tasks["PM-4"].estimate, tasks["PM-6"].estimate) == (3, 3, 1)
    assert tasks["PM-6"].status == TaskStatus.CANCELLED
    assert str(tasks["PM-6"].due_date) == "2026-06-25"
    event = TaskEvent.objects.get(organization=org, task=tasks["PM-3"])
    assert event.reason == "imported from Jira PM-3"
    assert run.result["tasks"] == {"new": 4, "changed": 0, "unchanged": 0}
    assert run.result["goals_created"] == 1
    # live effort: PM-3 (3) and PM-4 (3) under the active goal, PM-5 is done, PM-6 cancelled
    assert run.result["before"]["live_effort"] == 0
    assert run.result["after"]["live_effort"] == 6
    assert run.result["after"]["linked_percent"] == 100
    assert not run.file  # the upload is not kept once applied


def test_the_same_file_twice_changes_nothing(org, importer, ana):
    run = apply(org, importer, start(org, importer, FIRST))
    events = TaskEvent.objects.filter(organization=org).count()
    snapshot = list(Task.objects.filter(organization=org).order_by("number").values())

    again = start(org, importer, FIRST)
    assert again.plan["tasks"] == {"new": 0, "changed": 0, "unchanged": 4}
    again = apply(org, importer, again)

    assert again.result["tasks"] == {"new": 0, "changed": 0, "unchanged": 4}
    assert list(Task.objects.filter(organization=org).order_by("number").values()) == snapshot
    assert TaskEvent.objects.filter(organization=org).count() == events
    assert run.number != again.number


def test_a_newer_export_updates_by_key_adds_the_new_and_lists_the_gone(
    org, importer, lead, planner, ana
):
    apply(org, importer, start(org, importer, FIRST))
    # a planner links PM-6 to a goal in Vindaris
    roadmap = make_goal(org, lead, "Roadmap")
    footer = Task.objects.get(organization=org, external_key="PM-6")
    work_services.task_move(
        organization=org, actor=planner, task=footer, to_goal=roadmap, reason="Roadmap work"
    )
    other = make_goal(org, lead, "Other")
    newer = HEADER + (
        "PM-1,10001,Checkout revamp,Epic,In Progress,In Progress,,,,\n"
        "PM-3,10003,Pay with credit cards,Story,Done,Done,ana@acme.test,PM-1,3,\n"
        "PM-4,10004,Pay with wallets,Story,To Do,To Do,stranger@elsewhere.test,PM-1,2.5,\n"
        "PM-6,10006,Fix the footer,Bug,Won't Do,Done,,PM-1,,25/Jun/26 12:44\n"
        "PM-7,10007,Save cards,Story,To Do,To Do,,PM-1,1,\n"
    )
    run = start(org, importer, newer)
    run = apply(org, importer, run, mapped(run, **{"PM-1": other.key}))

    plan = run.plan
    assert plan["tasks"] == {"new": 1, "changed": 1, "unchanged": 2}
    assert [(c["key"], c["fields"]) for c in plan["changes"]] == [("PM-3", ["title", "status"])]
    # PM-5 is gone from the file: listed, not deleted
    assert [g["key"] for g in plan["gone"]] == ["PM-5"]
    assert Task.objects.filter(organization=org, external_key="PM-5").exists()
    # the planner's link stays, and the dry run said so
    assert [(k["key"], k["file"], k["goal"]) for k in plan["kept_links"]] == [
        ("PM-6", other.key, roadmap.key)
    ]
    footer.refresh_from_db()
    assert footer.goal == roadmap
    # work without a goal gets the mapped one; the new row too
    pay = Task.objects.get(organization=org, external_key="PM-3")
    assert (pay.title, pay.status, pay.goal) == ("Pay with credit cards", "done", other)
    assert Task.objects.get(organization=org, external_key="PM-7").goal == other
    history = TaskEvent.objects.filter(organization=org, task=pay).order_by("id")
    assert [(e.kind, e.reason) for e in history][1:] == [
        (TaskEvent.Kind.STATUS, "updated from Jira PM-3"),
        (TaskEvent.Kind.MOVED, "updated from Jira PM-3"),
        (TaskEvent.Kind.EDITED, "updated from Jira PM-3"),
    ]


def drift(org) -> int:
    """Per-goal coverage figures that differ from a recount of the tasks (traceability 0005)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM traceability_goalcoverage_drift(%s)", [org.pk])
        return cursor.fetchone()[0]


def test_the_coverage_rows_are_right_the_moment_the_apply_ends(org, importer, lead, planner):
    checkout = make_goal(org, lead, "Checkout converts")
    make_task(org, planner, checkout, "Measure conversion", estimate=4)
    run = start(org, importer, FIRST)
    apply(org, importer, run, mapped(run, **{"PM-1": checkout.key, "PM-2": "new"}))
    assert drift(org) == 0
    # and the next write counts as usual: the deferral ended with the import's transaction
    make_task(org, planner, checkout, "Another", estimate=2)
    assert drift(org) == 0
    headline = coverage_headline(organization=org, viewer=importer, now=timezone.now())
    # live: 4 + 2 (by hand) + PM-3 (3) + PM-4 (3, rounded up) on the active goal, PM-5 done
    # under the draft goal, PM-6 cancelled
    assert (headline.live_effort, headline.linked_effort) == (12, 12)


def test_a_failed_apply_leaves_nothing_half_done(org, importer, lead):
    doomed = make_goal(org, lead, "Doomed")
    run = start(org, importer, FIRST)
    services.import_remap(
        organization=org, membership=importer, run=run, mapping=mapped(run, **{"PM-2": doomed.key})
    )
    services.run_pending(org.pk)
    run.refresh_from_db()
    # the goal goes between the dry run and the apply
    Goal.objects.filter(organization=org, pk=doomed.pk).delete()

    run = apply(org, importer, run)

    assert run.state == ImportState.FAILED
    assert f"{doomed.key}, chosen for PM-2, no longer exists" in run.error
    assert "Nothing was changed." in run.error
    assert Task.objects.filter(organization=org).count() == 0
    assert TaskEvent.objects.filter(organization=org).count() == 0


def test_a_goal_of_another_organization_is_never_a_mapping_choice(
    org, other_org, importer, outsider
):
    theirs = make_goal(other_org, outsider, "Theirs")
    run = start(org, importer, FIRST)
    mapping = mapped(run, **{"PM-1": theirs.key})

    run = apply(org, importer, run, mapping)

    # the dry run drops a choice that is not one of ours (to no goal)
    assert run.mapping["groups"]["PM-1"] == "none"
    assert not Task.objects.filter(organization=org, goal=theirs).exists()
    assert not Task.objects.filter(organization=other_org).exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\xef\xbb\xbf", "empty"),
        (b"Name,Colour\nx,y\n", "Jira"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_up_front_and_nothing_is_kept(
    org, importer, content, message
):
    with pytest.raises(ValidationError) as error:
        services.import_start(
            organization=org,
            membership=importer,
            upload=SimpleUploadedFile("x.csv", content),
        )
    assert message in " ".join(error.value.messages)
    assert not ImportRun.objects.filter(organization=org).exists()


def test_a_file_over_the_limit_is_refused(org, importer):
    big = SimpleUploadedFile("big.csv", b"x")
    big.size = services.MAX_FILE_BYTES + 1
    with pytest.raises(ValidationError, match="the limit is 40 MB"):
        services.import_start(organization=org, membership=importer, upload=big)


def test_only_admins_and_leads_import(org, planner, membership_of):
    with pytest.raises(ValidationError):
        services.import_start(
            organization=org, membership=membership_of(planner, org), upload=upload(FIRST)
        )


def test_rows_that_cannot_be_taken_are_listed_with_their_lines_and_the_rest_applies(org, importer):
    text = HEADER + (
        "PM-3,10003,Pay with cards,Story,To Do,To Do,,,,\n"
        f"PM-8,10008,{'x' * 201},Story,To Do,To Do,,,,\n"
        "PM-3,10009,Again,Story,To Do,To Do,,,,\n"
        'PM-9,10010,"=HYPERLINK(""http://x"",""y"")",Story,To Do,To Do,,,,\n'
    )
    run = start(org, importer, text)

    assert run.state == ImportState.READY, run.error
    problems = dict((line, message) for line, message in run.plan["problems"])
    assert set(problems) == {3, 4}
    assert "201 characters" in problems[3]
    assert "duplicate" in problems[4] and "PM-3" in problems[4]
    run = apply(org, importer, run)
    titles = dict(Task.objects.filter(organization=org).values_list("external_key", "title"))
    # a formula is kept as the text it is
    assert titles == {"PM-3": "Pay with cards", "PM-9": '=HYPERLINK("http://x","y")'}


def test_the_apply_runs_a_fixed_number_of_statements_per_batch(org, importer, lead, ana):
    goal = make_goal(org, lead, "Checkout converts")

    def statements(rows: int) -> int:
        text = (
            HEADER
            + "PM-1,1,Checkout,Epic,To Do,To Do,,,,\n"
            + "".join(
                f"Q{rows}-{i},{i},Task {i},Story,In Progress,In Progress,ana@acme.test,PM-1,2,\n"
                for i in range(rows)
            )
        )
        run = start(org, importer, text)
        services.import_remap(
            organization=org,
            membership=importer,
            run=run,
            mapping=mapped(run, **{"PM-1": goal.key}),
        )
        services.run_pending(org.pk)
        services.import_apply(organization=org, membership=importer, run=run)
        with CaptureQueriesContext(connection) as queries:
            services.run_pending(org.pk)
        run.refresh_from_db()
        assert run.state == ImportState.APPLIED, run.error
        return len(queries)

    assert statements(5) == statements(60)


def test_the_headline_after_the_apply_is_the_dashboards(org, importer, lead):
    make_task(org, lead, make_goal(org, lead, "Existing"), estimate=4)
    run = apply(org, importer, start(org, importer, FIRST))
    headline = coverage_headline(organization=org, viewer=importer, now=run.applied_at)
    assert run.result["after"]["linked_percent"] == headline.linked_percent
    assert run.result["after"]["orphaned"] == headline.orphaned == 2
    # 4 points linked of 4 + 3 + 3 live
    assert headline.linked_percent == round(100 * 4 / 10)


def test_a_strategy_file_with_a_parent_cycle_imports_the_rest_and_lists_the_cycle(org, importer):
    text = (
        "Type,Key,Title,Parent,Goal,Status,Priority,Estimate\n"
        "goal,G-1,Grow revenue,G-2,,active,P1,\n"
        "goal,G-2,Win the mid-market,G-1,,active,P2,\n"
        "goal,G-3,Keep customers,,,active,P2,\n"
        "goal,G-4,Under the cycle,G-1,,active,P3,\n"
        "task,T-1,Call churned accounts,,G-3,todo,,3\n"
        "task,T-2,Price the mid-market plan,,G-2,todo,,2\n"
    )
    run = start(org, importer, text)

    lines = {line for line, _ in run.plan["problems"]}
    # G-1 and G-2 (lines 2, 3) are each other's ancestors; G-4 and T-2 hang from them
    assert {2, 3, 5, 7} <= lines
    assert 4 not in lines and 6 not in lines
    assert run.plan["goals"]["new"] == 1
    assert run.plan["tasks"]["new"] == 1
    run = apply(org, importer, run)
    assert list(Goal.objects.filter(organization=org).values_list("title", flat=True)) == [
        "Keep customers"
    ]
    task = Task.objects.get(organization=org)
    assert (task.title, task.goal.title, task.estimate) == (
        "Call churned accounts",
        "Keep customers",
        3,
    )


def test_an_unbalanced_quote_fails_the_dry_run_with_its_line_and_keeps_nothing(org, importer):
    broken = (Path(__file__).parent / "samples" / "broken" / "unbalanced_quote.csv").read_text()
    run = start(org, importer, broken)

    assert run.state == ImportState.FAILED
    assert "Line 3" in run.error or "line 3" in run.error
    assert run.error.endswith("Nothing was changed.")
    with pytest.raises(ValidationError):
        services.import_apply(organization=org, membership=importer, run=run)
    assert not Task.objects.filter(organization=org).exists()
