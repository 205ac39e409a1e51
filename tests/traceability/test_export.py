"""The exports: the traceability matrix as CSV and the graph as JSON."""

import csv
import io
import json
from datetime import date

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext

from tests.builders import make_goal, make_outcome, make_task
from tests.traceability.test_trace_rollups import build_forest
from traceability.views.exports import MATRIX_HEADER
from vindaris.lib.spreadsheet import cell as safe_cell
from vindaris.tenancy.models import Membership
from work.models import Origin

CSV_URL = "/o/acme/trace/export.csv"
JSON_URL = "/o/acme/trace/export.json"


@pytest.fixture
def forest(org, lead, planner):
    return build_forest(org, lead, planner)


def matrix(client) -> list[dict[str, str]]:
    response = client.get(CSV_URL)
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="acme-trace-')
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == MATRIX_HEADER
    return [dict(zip(MATRIX_HEADER, row, strict=True)) for row in rows[1:]]


def graph(client) -> dict:
    response = client.get(JSON_URL)
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "application/json"
    return json.loads(b"".join(response.streaming_content))


def test_the_matrix_has_a_row_per_task_with_its_goal_path(org, forest, viewer, client_for):
    rows = {row["Task"]: row for row in matrix(client_for(viewer)) if row["Task"]}

    assert set(rows) == {
        t.key for t in (forest.t1, forest.t2, forest.t3, forest.t4, forest.t5, forest.t6)
    }
    t6 = rows[forest.t6.key]
    assert t6 == {
        "Root objective": f"{forest.root.key} Grow revenue",
        "Goal path": (
            f"{forest.root.key} Grow revenue > {forest.a.key} Win the mid-market"
            f" > {forest.a1.key} Ten new logos"
        ),
        "Goal": forest.a1.key,
        "Goal status": "Active",
        "Outcome": "",
        "Task": forest.t6.key,
        "Task title": "Demo day",
        "Status": "In progress",
        "Assignee": Membership.objects.get(pk=forest.t6.assignee_id).user.display_name,
        "Estimate": "4",
        # What a re-import needs: the goal's own fields, the outcome's, the task's.
        "Goal title": "Ten new logos",
        "Parent goal": forest.a.key,
        "Goal priority": "P2",
        "Goal owner email": "",
        "Goal start": "",
        "Goal end": "",
        "Confidential": "no",
        "Outcome unit": "",
        "Outcome baseline": "",
        "Outcome target": "",
        "Outcome current": "",
        "Outcome direction": "",
        "Outcome due": "",
        "Assignee email": "planner@acme.test",
        "Due date": "",
    }
    assert rows[forest.t1.key]["Outcome"] == f"{forest.o1.key} New logos"
    # O1: 0 → 50 of 100, increasing.
    assert [rows[forest.t1.key][f"Outcome {name}"] for name in ("baseline", "target")] == [
        "0",
        "100",
    ]
    assert rows[forest.t1.key]["Outcome current"] == "50"
    assert rows[forest.t1.key]["Outcome direction"] == "increase"
    assert rows[forest.t4.key]["Goal status"] == "On hold"
    assert rows[forest.t3.key]["Status"] == "Cancelled"


def test_goals_without_tasks_of_their_own_and_outcomes_without_tasks_get_a_row(
    org, forest, viewer, client_for
):
    rows = matrix(client_for(viewer))
    f = forest

    # In tree order (siblings by priority, then number): under each goal its own row when it
    # has no task of its own, then its outcomes no task aims at, then its tasks by number.
    # R and A have work only below them; A2, R3 and R2 have none; O3 and O2 have no task.
    assert [(row["Goal"], row["Outcome"].split(" ")[0], row["Task"]) for row in rows] == [
        (f.root.key, "", ""),
        (f.root.key, f.o3.key, ""),
        (f.a.key, "", ""),
        (f.a1.key, f.o1.key, f.t1.key),
        (f.a1.key, "", f.t2.key),
        (f.a1.key, "", f.t3.key),
        (f.a1.key, "", f.t6.key),
        (f.a2.key, "", ""),
        (f.b.key, f.o2.key, ""),
        (f.b.key, "", f.t4.key),
        (f.b.key, "", f.t5.key),
        (f.root3.key, "", ""),
        (f.root2.key, "", ""),
    ]
    a2 = rows[7]
    assert a2["Goal path"].endswith(f"{f.a2.key} Partner channel")
    assert a2["Status"] == "" and a2["Estimate"] == "" and a2["Assignee email"] == ""
    o3 = rows[1]
    assert o3["Outcome"] == f"{f.o3.key} Days to close"
    # O3: 10 → 4, aiming at 0.
    assert [o3[f"Outcome {name}"] for name in ("baseline", "target", "current", "direction")] == [
        "10",
        "0",
        "4",
        "decrease",
    ]


def test_every_goal_is_in_the_matrix_with_its_own_status_and_priority(
    org, forest, viewer, client_for
):
    rows = matrix(client_for(viewer))
    own = {}
    for row in rows:
        if row["Goal"]:
            fields = (row["Goal title"], row["Parent goal"], row["Goal status"])
            own.setdefault(row["Goal"], set()).add((*fields, row["Goal priority"]))

    f = forest
    assert own == {
        f.root.key: {("Grow revenue", "", "Active", "P1")},
        f.a.key: {("Win the mid-market", f.root.key, "Active", "P1")},
        f.a1.key: {("Ten new logos", f.a.key, "Active", "P2")},
        f.a2.key: {("Partner channel", f.a.key, "Active", "P3")},
        f.b.key: {("Launch in Spain", f.root.key, "On hold", "P2")},
        f.root2.key: {("Hire a data team", "", "Active", "P3")},
        f.root3.key: {("Old bets", "", "On hold", "P2")},
    }


def test_the_matrix_and_the_graph_hold_what_a_reimport_needs(
    org, lead, planner, viewer, membership_of, client_for
):
    owner = membership_of(lead, org)
    goal = make_goal(
        org,
        lead,
        "-Win the mid-market",
        owner=owner,
        start_date=date(2025, 1, 1),
        end_date=date(2025, 12, 31),
        description="Where the money\ncomes from.",
    )
    outcome = make_outcome(
        org, lead, goal, "New logos", "0.5", "12.25", unit="logos", due_date=date(2025, 6, 30)
    )
    make_task(
        org,
        lead,
        goal,
        "Call prospects",
        estimate=3,
        outcome=outcome,
        assignee=membership_of(planner, org),
        due_date=date(2025, 4, 1),
        description="The list first.",
    )
    client = client_for(viewer)

    (row,) = matrix(client)
    assert row["Goal title"] == "'-Win the mid-market"  # escaped as every text cell
    assert row["Goal owner email"] == "lead@acme.test"
    assert (row["Goal start"], row["Goal end"], row["Confidential"]) == (
        "2025-01-01",
        "2025-12-31",
        "no",
    )
    assert row["Outcome"] == f"{outcome.key} New logos"
    assert (row["Outcome unit"], row["Outcome baseline"], row["Outcome target"]) == (
        "logos",
        "0.5",
        "12.25",
    )
    assert (row["Outcome current"], row["Outcome due"]) == ("0.5", "2025-06-30")
    assert (row["Assignee email"], row["Due date"]) == ("planner@acme.test", "2025-04-01")

    nodes = {node["id"]: node for node in graph(client)["nodes"]}
    assert nodes[goal.key]["owner_email"] == "lead@acme.test"
    assert nodes[goal.key]["confidential"] is False
    assert nodes[goal.key]["description"] == "Where the money\ncomes from."
    assert nodes["T-1"]["assignee_email"] == "planner@acme.test"
    assert nodes["T-1"]["description"] == "The list first."


def test_the_matrix_follows_the_tree_and_ends_with_work_without_a_goal(
    org, forest, planner, viewer, client_for
):
    org.allow_goalless_work = True
    org.save(update_fields=["allow_goalless_work"])
    orphan = make_task(org, planner, None, "Quick capture", origin=Origin.QUICK_ADD)

    rows = matrix(client_for(viewer))
    goals = [row["Goal"] for row in rows]
    # Parents before children, siblings by priority: A (P1) and its goals before B (P2).
    assert goals.index(forest.a1.key) < goals.index(forest.a2.key) < goals.index(forest.b.key)
    assert rows[-1]["Task"] == orphan.key
    assert rows[-1]["Root objective"] == rows[-1]["Goal path"] == rows[-1]["Goal"] == ""


@pytest.mark.parametrize("title", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)"])
def test_no_cell_can_run_as_a_formula(org, lead, viewer, client_for, title):
    goal = make_goal(org, lead, title)
    make_task(org, lead, goal, title)

    row = matrix(client_for(viewer))[0]
    assert row["Task title"] == "'" + title
    assert row["Goal path"] == f"{goal.key} {title}"  # starts with the key: harmless
    assert row["Root objective"] == f"{goal.key} {title}"


def test_safe_cell_leaves_plain_values_alone():
    assert safe_cell("Grow revenue") == "Grow revenue"
    assert safe_cell(4) == 4
    assert safe_cell("\tx") == "'\tx"


def test_exports_hold_only_the_organizations_own_work(
    org, other_org, forest, outsider, viewer, client_for
):
    theirs = make_goal(other_org, outsider, "Globex secret")
    make_task(other_org, outsider, theirs, "Globex task")
    client = client_for(viewer)

    text = json.dumps(matrix(client)) + json.dumps(graph(client))
    assert "Globex" not in text


def test_the_graph_has_nodes_and_edges(org, forest, viewer, client_for):
    data = graph(client_for(viewer))

    assert data["organization"] == {"slug": "acme", "name": "Acme"}
    nodes = {node["id"]: node for node in data["nodes"]}
    assert len(nodes) == 7 + 3 + 6  # goals, outcomes, tasks
    assert nodes[forest.a1.key] == {
        "id": forest.a1.key,
        "type": "goal",
        "title": "Ten new logos",
        "status": "active",
        "priority": 2,
        "owner": None,
        "start_date": None,
        "end_date": None,
        "owner_email": None,
        "confidential": False,
        "description": "",
    }
    assert nodes[forest.o2.key]["progress"] == 25 and nodes[forest.o2.key]["current"] == "125"
    assert nodes[forest.t6.key]["status"] == "in_progress" and nodes[forest.t6.key]["estimate"] == 4
    assert nodes[forest.t6.key]["assignee_email"] == "planner@acme.test"
    assert nodes[forest.t1.key]["assignee_email"] is None

    edges = {(e["source"], e["kind"], e["target"]) for e in data["edges"]}
    assert (forest.a1.key, "part_of", forest.a.key) in edges
    assert (forest.a.key, "part_of", forest.root.key) in edges
    assert (forest.o1.key, "measures", forest.a1.key) in edges
    assert (forest.t1.key, "serves", forest.a1.key) in edges
    assert (forest.t1.key, "moves", forest.o1.key) in edges
    assert len([e for e in edges if e[1] == "part_of"]) == 4
    assert len([e for e in edges if e[1] == "serves"]) == 6
    assert len([e for e in edges if e[1] == "moves"]) == 1
    node_ids = set(nodes)
    assert all(e[0] in node_ids and e[2] in node_ids for e in edges)


def test_exports_run_the_same_queries_for_ten_times_the_work(
    org, lead, viewer, client_for, membership_of, django_assert_num_queries
):
    goal = make_goal(org, lead, "Grow revenue")
    outcome = make_outcome(org, lead, goal)
    for i in range(3):
        make_task(org, lead, goal, f"Task {i}", outcome=outcome)
    client = client_for(viewer)
    counts = {}
    for url in (CSV_URL, JSON_URL):
        with CaptureQueriesContext(connection) as ctx:
            b"".join(client.get(url).streaming_content)
        counts[url] = len(ctx.captured_queries)
    for i in range(30):
        child = make_goal(org, lead, f"Child {i}", parent=goal, owner=membership_of(lead, org))
        make_task(org, lead, child, f"More {i}", assignee=membership_of(lead, org))
        # Goals and outcomes without tasks get rows of their own.
        make_outcome(org, lead, make_goal(org, lead, f"Empty {i}", parent=child), f"KR {i}")
    for url in (CSV_URL, JSON_URL):
        with django_assert_num_queries(counts[url]):
            b"".join(client.get(url).streaming_content)
