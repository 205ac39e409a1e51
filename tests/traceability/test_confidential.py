"""A confidential goal on the coverage dashboard and in the trace: the lead and a member it was
shared with see it and its work in every figure; a planner and a viewer it was not shared with
see none of it in any list, count, export or search, and its URLs answer 404."""

import csv
import io
import json
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from goals import services as goal_services
from goals.models import Goal, GoalStatus, Outcome, Priority
from tests.builders import make_goal, make_outcome, make_task
from tests.factories import MembershipFactory, UserFactory
from tests.traceability.test_coverage import text_of
from traceability import selectors, services
from vindaris.tenancy.models import Membership, Role, User
from work.models import Origin, Task

COVERAGE = "/o/acme/coverage/"
TRACE = "/o/acme/trace/"


@dataclass
class Secret:
    """
    Open      G  active P2, recently activated   live 3 pts          (seen by everyone)
    Parent    G  active P1, recently activated   no work of its own
    └─ Secret G  confidential, active P1         live 5 pts, an outcome
       ├─ Hold G     put on hold                 live 2 pts: stranded and suspect
       ├─ Lowered G  priority lowered            live 1 pt: suspect
       └─ Quiet G    active for 30 days, no work: starved
    Loose: orphaned, 1 pt (work without a goal is seen by everyone)
    """

    open: Goal
    parent: Goal
    secret: Goal
    hold: Goal
    lowered: Goal
    quiet: Goal
    outcome: Outcome
    open_task: Task
    secret_task: Task
    stranded: Task
    suspect: Task
    loose: Task
    granted: User


def build_secret(org, lead, planner) -> Secret:
    org.allow_goalless_work = True
    org.save(update_fields=["allow_goalless_work"])
    open_goal = make_goal(org, lead, "Win the mid-market")
    parent = make_goal(org, lead, "Grow by acquisition", priority=Priority.P1)
    secret = make_goal(
        org, lead, "Acquire Initech", parent=parent, priority=Priority.P1, confidential=True
    )
    hold = make_goal(org, lead, "Initech due diligence", parent=secret, priority=Priority.P3)
    lowered = make_goal(org, lead, "Initech integration", parent=secret, priority=Priority.P1)
    quiet = make_goal(org, lead, "Initech retention", parent=secret, priority=Priority.P3)
    outcome = make_outcome(org, lead, secret, "Initech signed")
    open_task = make_task(org, planner, open_goal, "Call prospects", estimate=3)
    secret_task = make_task(org, lead, secret, "Review Initech's contracts", estimate=5)
    stranded = make_task(org, lead, hold, "Audit Initech's books", estimate=2)
    suspect = make_task(org, lead, lowered, "Plan Initech's payroll", estimate=1)
    loose = make_task(org, planner, None, "Fix the export", estimate=1, origin=Origin.QUICK_ADD)
    goal_services.goal_update(organization=org, actor=lead, goal=hold, status=GoalStatus.ON_HOLD)
    goal_services.goal_update(organization=org, actor=lead, goal=lowered, priority=Priority.P4)
    Goal.objects.filter(pk=quiet.pk).update(activated_at=timezone.now() - timedelta(days=30))
    granted = MembershipFactory(
        organization=org, role=Role.PLANNER, user=UserFactory(email="granted@acme.test")
    )
    goal_services.goal_share(
        organization=org, actor=lead, goal=secret, member=granted, access="view"
    )
    return Secret(
        open_goal,
        parent,
        secret,
        hold,
        lowered,
        quiet,
        outcome,
        open_task,
        secret_task,
        stranded,
        suspect,
        loose,
        granted.user,
    )


@pytest.fixture
def world(org, lead, planner) -> Secret:
    return build_secret(org, lead, planner)


@pytest.fixture
def seeing(world, lead):
    """The lead, and the planner the goal was shared with."""
    return [lead, world.granted]


@pytest.fixture
def not_seeing(planner, viewer):
    return [planner, viewer]


def hidden_keys(w: Secret) -> list[str]:
    goals = (w.secret, w.hold, w.lowered, w.quiet)
    tasks = (w.secret_task, w.stranded, w.suspect)
    return [g.key for g in goals] + [t.key for t in tasks] + [w.outcome.key]


def hidden_titles(w: Secret) -> list[str]:
    return ["Initech"]  # in every hidden goal's, task's and outcome's title


def headline_of(html: str) -> tuple:
    return (
        text_of(html, "coverage-linked-ratio"),
        text_of(html, "coverage-orphaned-count"),
        text_of(html, "coverage-stranded-count"),
        text_of(html, "coverage-suspect-count"),
        text_of(html, "coverage-starved-count"),
    )


def body(response) -> str:
    assert response.status_code == 200
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


# The coverage dashboard --------------------------------------------------------------------


def test_those_who_see_it_get_its_figures_on_the_dashboard(world, seeing, client_for):
    # Live 3 + 5 + 2 + 1 + 1 = 12 pts, 9 of them on active goals (Open, Secret, Lowered).
    for user in seeing:
        html = client_for(user).get(COVERAGE).content.decode()
        assert headline_of(html) == ("75%", "1", "1", "2", "1")
        assert "9 of 12 pts" in html
        assert f'id="coverage-goal-{world.secret.number}"' in html


def test_those_who_do_not_see_it_get_none_of_it_on_the_dashboard(world, not_seeing, client_for):
    # Only Open's 3 pts and the loose 1 pt are theirs to see: 3 of 4 on active goals.
    for user in not_seeing:
        html = client_for(user).get(COVERAGE).content.decode()
        assert headline_of(html) == ("75%", "1", "0", "0", "0")
        assert "3 of 4 pts" in html
        for text in hidden_keys(world) + hidden_titles(world):
            assert text not in html


def test_shares_and_weights_are_of_what_the_member_sees(org, world, planner, membership_of):
    me = membership_of(planner, org)
    overview = selectors.coverage_overview(
        organization=org, viewer=me, now=timezone.now(), table=selectors.GoalTableQuery()
    )
    table = overview.table

    # Open (P2, weight 4) and Parent (P1, weight 8), top-level siblings: the hidden goals
    # (Parent's confidential subtree) and their work are left out.
    assert overview.matching == 2
    rows = {row.number: row.funding for row in table.rows}
    assert set(rows) == {world.open.number, world.parent.number}
    assert rows[world.open.number].share == 1.0  # all the live effort on active goals they see
    assert rows[world.open.number].implied == 4 / 12
    assert rows[world.parent.number].effort == 0  # Initech's 5 + 1 pts are hidden from them


def test_what_to_stop_leaves_out_the_hidden_stranded_work(org, world, lead, planner, client_for):
    lead_html = client_for(lead).get("/o/acme/coverage/stop/").content.decode()
    planner_html = client_for(planner).get("/o/acme/coverage/stop/").content.decode()

    assert f'id="stop-task-{world.stranded.number}"' in lead_html
    assert f'id="stop-task-{world.stranded.number}"' not in planner_html


@pytest.mark.parametrize("kind", ["stranded", "suspect", "starved", "orphaned", "stop"])
def test_queues_and_their_exports_list_it_only_to_those_who_see_it(
    kind, world, seeing, not_seeing, client_for
):
    expected = {
        "stranded": [world.stranded.key],
        "suspect": [world.stranded.key, world.suspect.key],
        "starved": [world.quiet.key],
        "orphaned": [],
        "stop": [world.stranded.key],
    }[kind]
    for user in seeing + not_seeing:
        client = client_for(user)
        page = body(client.get(f"/o/acme/coverage/{kind}/"))
        rows = list(csv.reader(io.StringIO(body(client.get(f"/o/acme/coverage/{kind}.csv")))))
        listed = {row[0] for row in rows[1:]}
        for key in expected:
            assert (key in listed) == (user in seeing), (user, kind, key)
            assert (f"{key}</span>" in page) == (user in seeing), (user, kind, key)
        if kind == "orphaned":
            assert listed == {world.loose.key}  # orphaned work is everyone's to see


def test_the_goal_search_finds_it_only_for_those_who_see_it(org, world, lead, planner):
    lead_m = Membership.objects.get(organization=org, user=lead)
    planner_m = Membership.objects.get(organization=org, user=planner)

    found, _ = selectors.active_goal_search(organization=org, viewer=lead_m, q="Initech")
    assert world.secret in found
    found, _ = selectors.active_goal_search(organization=org, viewer=planner_m, q="Initech")
    assert found == []


def test_the_trend_of_a_member_who_does_not_see_everything_leaves_it_out(
    org, world, lead, planner, membership_of
):
    yesterday = timezone.now() - timedelta(days=1)
    snapshot = services.snapshot_take(organization=org, now=yesterday)
    start, end = snapshot.date, snapshot.date

    assert (snapshot.stranded, snapshot.suspect, snapshot.starved) == (1, 2, 1)
    assert (snapshot.public_stranded, snapshot.public_suspect, snapshot.public_starved) == (0, 0, 0)
    assert (snapshot.public_linked_effort, snapshot.public_live_effort) == (3, 4)
    for user, stranded, ratio in ((lead, 1, 9 / 12), (planner, 0, 3 / 4)):
        (day,) = selectors.coverage_trend(
            organization=org, viewer=membership_of(user, org), start=start, end=end
        )
        assert (day.stranded, day.linked_ratio) == (stranded, ratio)
    # The granted planner may see the goal, but a snapshot's totals cannot be narrowed to one
    # member's grants: it gets the figures without any confidential work.
    (day,) = selectors.coverage_trend(
        organization=org, viewer=membership_of(world.granted, org), start=start, end=end
    )
    assert day.stranded == 0


# The trace ---------------------------------------------------------------------------------


def root_of(html: str, goal: Goal) -> str:
    node = html[html.index(f'id="trace-g-{goal.number}"') :]
    return node[: node.index("</li>")]


def test_the_trace_rolls_it_up_for_those_who_see_it(world, seeing, client_for):
    for user in seeing:
        html = client_for(user).get(TRACE).content.decode()
        parent = root_of(html, world.parent)
        assert "3 live tasks" in parent and "8 pts" in parent
        assert "1 starved below" in parent and "1 stranded" in parent and "2 suspect" in parent


def test_the_trace_leaves_it_out_for_those_who_do_not(world, not_seeing, client_for):
    for user in not_seeing:
        client = client_for(user)
        html = client.get(TRACE).content.decode()
        parent = root_of(html, world.parent)
        assert "0 live tasks" in parent
        assert "starved" not in parent and "stranded" not in parent and "suspect" not in parent
        expanded = client.get(f"/o/acme/trace/goals/{world.parent.number}/children/")
        for text in hidden_keys(world) + hidden_titles(world):
            assert text not in html
            assert text not in body(expanded)


def test_its_urls_are_404_to_those_who_do_not_see_it(world, seeing, not_seeing, client_for):
    urls = [
        f"/o/acme/trace/goals/{world.secret.number}/children/",
        f"/o/acme/trace/goals/{world.hold.number}/children/",
        f"/o/acme/outcomes/{world.outcome.number}/",
    ]
    for user in seeing:
        assert [client_for(user).get(url).status_code for url in urls] == [200, 200, 200]
    for user in not_seeing:
        assert [client_for(user).get(url).status_code for url in urls] == [404, 404, 404]
        html = client_for(user).get(TRACE, {"focus": world.stranded.key}).content.decode()
        assert "Initech" not in html


def test_the_exports_hold_it_only_for_those_who_see_it(world, seeing, not_seeing, client_for):
    for user in seeing + not_seeing:
        client = client_for(user)
        matrix = body(client.get("/o/acme/trace/export.csv"))
        graph = json.loads(body(client.get("/o/acme/trace/export.json")))
        ids = {node["id"] for node in graph["nodes"]}
        for key in hidden_keys(world):
            assert (key in ids) == (user in seeing), (user, key)
            if not key.startswith("O-"):  # the matrix names an outcome only for work aiming at it
                assert (key in matrix) == (user in seeing), (user, key)
        assert {world.open.key, world.parent.key, world.loose.key} <= ids
        edges = {(e["source"], e["target"]) for e in graph["edges"]}
        assert ((world.secret.key, world.parent.key) in edges) == (user in seeing)


def test_a_visible_goal_with_only_hidden_work_is_a_goal_without_work_to_them(
    world, planner, client_for
):
    rows = list(csv.reader(io.StringIO(body(client_for(planner).get("/o/acme/trace/export.csv")))))
    parent_rows = [row for row in rows[1:] if row[2] == world.parent.key]

    assert len(parent_rows) == 1 and parent_rows[0][5] == ""  # one row, no task
