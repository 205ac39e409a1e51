"""The exports: the traceability matrix as CSV and the graph as JSON."""

import csv
import io
import json

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
    }
    assert rows[forest.t1.key]["Outcome"] == f"{forest.o1.key} New logos"
    assert rows[forest.t4.key]["Goal status"] == "On hold"
    assert rows[forest.t3.key]["Status"] == "Cancelled"


def test_goals_without_work_get_a_row_of_their_own(org, forest, viewer, client_for):
    goal_rows = [row for row in matrix(client_for(viewer)) if not row["Task"]]

    # A2 and the two other roots have no task anywhere below them; the rest appear in paths.
    assert [row["Goal"] for row in goal_rows] == [
        forest.a2.key,
        forest.root3.key,
        forest.root2.key,
    ]
    assert goal_rows[0]["Goal path"].endswith(f"{forest.a2.key} Partner channel")
    assert goal_rows[0]["Status"] == "" and goal_rows[0]["Estimate"] == ""


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
    }
    assert nodes[forest.o2.key]["progress"] == 25 and nodes[forest.o2.key]["current"] == "125"
    assert nodes[forest.t6.key]["status"] == "in_progress" and nodes[forest.t6.key]["estimate"] == 4

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
    org, lead, viewer, client_for, django_assert_num_queries
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
        child = make_goal(org, lead, f"Child {i}", parent=goal)
        make_task(org, lead, child, f"More {i}")
    for url in (CSV_URL, JSON_URL):
        with django_assert_num_queries(counts[url]):
            b"".join(client.get(url).streaming_content)
