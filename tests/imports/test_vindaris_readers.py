"""Vindaris's own files read back: the strategy CSV, the trace's matrix (CSV) and graph (JSON).

The files are in samples/vindaris/, written by hand; what each holds is spelled out where a test
reads it. The last tests export an organization built through the services and read the
exports back.
"""

import io
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from goals.models import Direction, GoalStatus, Priority
from imports.readers.base import GoalRow, Item, OutcomeRow, Problem, UnreadableFile, WorkRow
from imports.readers.text import open_text
from imports.readers.vindaris import VINDARIS_CSV, VINDARIS_JSON, VINDARIS_TRACE_CSV
from tests.builders import make_goal, make_outcome, make_task
from traceability.views.exports import MATRIX_HEADER
from work.models import Origin, TaskStatus

SAMPLES = Path(__file__).parent / "samples" / "vindaris"


def read(reader: Any, name: str) -> list[Item]:
    with open(SAMPLES / name, "rb") as binary:
        return list(reader.read(open_text(binary)))


def read_text(reader: Any, text: str) -> list[Item]:
    return list(reader.read(open_text(io.BytesIO(text.encode()))))


def goal(line: int, key: str, title: str, **fields: Any) -> GoalRow:
    return GoalRow(line=line, key=key, title=title, **fields)


def task(line: int, key: str, title: str, **fields: Any) -> WorkRow:
    return WorkRow(line=line, key=key, title=title, **fields)


# The strategy CSV -----------------------------------------------------------------------------


def test_the_strategy_csv_gives_its_goals_outcomes_and_tasks_in_file_order():
    # strategy.csv: every column, headers in mixed case, an extra Notes column; G-1's and T-1's
    # descriptions run over two lines; T-4 names G-4 before G-4's row; T-2 names only its
    # outcome; T-5's title is guarded as the exports guard formulas and it has bad cells.
    assert read(VINDARIS_CSV, "strategy.csv") == [
        goal(
            2,
            "G-1",
            "Grow revenue",
            status="active",
            priority=1,
            owner="ceo@acme.test",
            start=date(2025, 1, 1),
            end=date(2025, 12, 31),
            description="Where the money comes from.\nAll of it.",
        ),
        goal(
            4,
            "G-2",
            "Win the mid-market",
            parent="G-1",
            status="active",
            priority=2,
            owner="lead@acme.test",
        ),
        goal(
            5,
            "G-3",
            "Ten new logos",
            parent="G-2",
            status="on_hold",
            priority=3,
            confidential=True,
        ),
        OutcomeRow(
            line=6,
            key="O-1",
            goal="G-3",
            title="New logos",
            unit="logos",
            baseline=Decimal("0"),
            target=Decimal("10"),
            current=Decimal("4"),
            due=date(2025, 6, 30),
        ),
        OutcomeRow(
            line=7,
            key="KR-2",
            goal="G-1",
            title="Days to close",
            unit="days",
            baseline=Decimal("30.5"),
            target=Decimal("10"),
            direction="decrease",
        ),
        task(
            8,
            "T-1",
            "Call prospects",
            description="First the list,\nthen the calls.",
            status="in progress",
            status_category="in_progress",
            assignee="planner@acme.test",
            estimate=Decimal("3"),
            due=date(2025, 3, 1),
            goal="G-3",
            outcome="O-1",
        ),
        # The goal of its outcome.
        task(
            10,
            "T-2",
            "Write the pitch",
            status="done",
            status_category="done",
            estimate=Decimal("2.5"),
            goal="G-3",
            outcome="O-1",
        ),
        # No goal: orphaned work; the title's spaces made single.
        task(
            11,
            "T-3",
            "Fix the export",
            status="todo",
            status_category="todo",
            estimate=Decimal("1"),
        ),
        task(12, "T-4", "Hire a closer", status_category="todo", goal="G-4"),
        goal(13, "G-4", "Sales team", parent="G-1", status="draft", priority=4),
        task(
            14,
            "T-5",
            '=HYPERLINK("http://x")',
            status="Doing",
            assignee="Sam",
            goal="G-1",
            outcome="KR-2",
            warnings=[
                "status 'Doing' is not one of to do, in progress, blocked, done, cancelled: "
                "map it to one",
                "due date '2025/04/01' is not a date (YYYY-MM-DD): left empty",
                "estimate 'lots' is not a number from 0 to 10,000: left empty",
            ],
        ),
    ]


def test_a_strategy_csv_is_read_as_it_streams():
    text = "Type,Key,Title\ngoal,G-1,Grow revenue\n"
    text += "".join(f"task,T-{n},Task {n}\n" for n in range(1, 50_001))
    binary = io.BytesIO(text.encode())
    items = VINDARIS_CSV.read(open_text(binary))

    assert next(items) == goal(2, "G-1", "Grow revenue")
    assert binary.tell() < len(text) // 2  # the rest of the file is not read yet


def test_a_strategy_csv_takes_semicolons_and_any_spelling_of_its_headers():
    rows = read_text(VINDARIS_CSV, "TYPE; key ;  title;PRIORITY\ngoal;G-1;Grow revenue;1\n")

    assert rows == [goal(2, "G-1", "Grow revenue", priority=1)]


def test_a_file_without_the_strategy_columns_is_refused():
    with pytest.raises(UnreadableFile, match=r"^The file has no Type column: a Vindaris"):
        read_text(VINDARIS_CSV, "Key,Title\nG-1,Grow revenue\n")


def test_each_broken_row_of_a_strategy_csv_is_a_problem_saying_why():
    # strategy_broken.csv, line by line:
    long = "A" * 201
    assert len(long) == 201
    assert read(VINDARIS_CSV, "strategy_broken.csv") == [
        goal(2, "G-1", "Grow revenue"),
        Problem(3, "type 'epic' is not goal, outcome or task"),
        Problem(4, "duplicate key G-1, first on line 2"),
        Problem(5, "title is 201 characters; the limit is 200"),
        Problem(
            6,
            "priority 'P7' is not one of P1–P4; start '2025-13-01' is not a date (YYYY-MM-DD); "
            "confidential 'maybe' is not yes or no",
        ),
        Problem(7, "target '1,5' is not a number (use . for decimals)"),
        Problem(8, "no target"),
        OutcomeRow(line=9, key="O-3", goal="G-1", title="Signed deals", target=Decimal(10)),
        # KR-9 may come later in the file: known only at the end (below).
        task(10, "T-1", "Unknown outcome", status_category="todo", goal="G-1", outcome="KR-9"),
        Problem(11, "outcome O-3 (line 9) measures G-1, not G-4 which the task serves"),
        # Keys shaped as the organization's own are the importer's to look up.
        task(
            12,
            "T-3",
            "An outcome of the organization",
            status_category="todo",
            goal="G-12",
            outcome="O-99",
        ),
        goal(13, "G-5", "Parent nowhere", parent="X-1"),
        Problem(14, "goal G-2 (line 5) cannot be taken"),
        Problem(15, "no key"),
        Problem(16, "start 2025-06-01 is after end 2025-01-01"),
        # Once the file is read: the rows above on these lines are not to be taken.
        Problem(10, "task T-1: outcome 'KR-9' is not an outcome of the file"),
        Problem(13, "goal G-5: parent 'X-1' is not a goal of the file"),
    ]


def test_an_outcome_with_bad_figures_is_a_problem_naming_each():
    unit = "u" * 31
    text = (
        "Type,Key,Title,Goal,Unit,Baseline,Target,Current,Direction,Due\n"
        f"outcome,O-1,Revenue,G-1,{unit},1.234,1e3,12345678901234,sideways,30/06/2025\n"
        "outcome,O-2,Revenue,,,,10,,,\n"
        "outcome,O-3,Revenue,G-1,,1.50,-2.5,,Decrease,\n"
    )

    assert read_text(VINDARIS_CSV, text) == [
        Problem(
            2,
            "baseline '1.234' has more than 2 decimals; target '1e3' is not a number; "
            "current '12345678901234' is too large; direction 'sideways' is not increase or "
            "decrease; due date '30/06/2025' is not a date (YYYY-MM-DD); unit is 31 "
            "characters; the limit is 30",
        ),
        Problem(3, "no goal: an outcome measures a goal"),
        OutcomeRow(
            line=4,
            key="O-3",
            goal="G-1",
            title="Revenue",
            baseline=Decimal("1.5"),
            target=Decimal("-2.5"),
            direction="decrease",
        ),
    ]


def test_each_goal_in_a_parent_cycle_is_a_problem_once_the_file_is_read():
    # strategy_cycle.csv: G-1 ⇄ G-2, G-3 under itself, G-4 under G-1, G-5 → G-6 → G-7 → G-5.
    assert read(VINDARIS_CSV, "strategy_cycle.csv") == [
        goal(2, "G-1", "Grow revenue", parent="G-2"),
        goal(3, "G-2", "Win the mid-market", parent="G-1"),
        Problem(4, "goal G-3 is its own parent"),
        goal(5, "G-4", "Under the cycle", parent="G-1"),
        goal(6, "G-5", "Long cycle one", parent="G-6"),
        goal(7, "G-6", "Long cycle two", parent="G-7"),
        goal(8, "G-7", "Long cycle three", parent="G-5"),
        Problem(2, "goal G-1 is in a parent cycle: G-1 → G-2 → G-1"),
        Problem(3, "goal G-2 is in a parent cycle: G-1 → G-2 → G-1"),
        Problem(6, "goal G-5 is in a parent cycle: G-5 → G-6 → G-7 → G-5"),
        Problem(7, "goal G-6 is in a parent cycle: G-5 → G-6 → G-7 → G-5"),
        Problem(8, "goal G-7 is in a parent cycle: G-5 → G-6 → G-7 → G-5"),
    ]


# The trace's matrix ---------------------------------------------------------------------------


def test_the_matrix_gives_each_goal_and_outcome_once_and_every_task():
    # trace.csv, as the trace exports it:
    #   G-1 Grow revenue         own row
    #   └ G-2 Win the mid-market own row, and O-2 Days to close (no task; -5 guarded, -20 not)
    #     └ G-3 Ten new logos    T-1 (moves O-1), T-2 ("'-2 signed")
    #   └ G-4 Launch in Spain    T-3, confidential, on hold
    #   G-5 Hire a data team     own row, draft
    #   T-4 without a goal
    g3 = dict(parent="G-2", status="active", priority=2, owner="planner@acme.test")
    assert read(VINDARIS_TRACE_CSV, "trace.csv") == [
        goal(
            2,
            "G-1",
            "Grow revenue",
            status="active",
            priority=1,
            owner="lead@acme.test",
            start=date(2025, 1, 1),
            end=date(2025, 12, 31),
        ),
        goal(3, "G-2", "Win the mid-market", parent="G-1", status="active", priority=1),
        OutcomeRow(
            line=4,
            key="O-2",
            goal="G-2",
            title="Days to close",
            unit="days",
            baseline=Decimal("-5"),
            target=Decimal("-20"),
            current=Decimal("-12.5"),
            direction="decrease",
        ),
        goal(5, "G-3", "Ten new logos", end=date(2025, 6, 30), **g3),
        OutcomeRow(
            line=5,
            key="O-1",
            goal="G-3",
            title="New logos",
            unit="logos",
            baseline=Decimal("0"),
            target=Decimal("10"),
            current=Decimal("4"),
            due=date(2025, 6, 30),
        ),
        task(
            5,
            "T-1",
            "Call prospects",
            status="In progress",
            status_category="in_progress",
            assignee="planner@acme.test",
            estimate=Decimal("3"),
            due=date(2025, 4, 1),
            goal="G-3",
            outcome="O-1",
        ),
        task(
            6,
            "T-2",
            "-2 signed",
            status="Done",
            status_category="done",
            estimate=Decimal("2"),
            goal="G-3",
        ),
        goal(
            7,
            "G-4",
            "Launch in Spain",
            parent="G-1",
            status="on_hold",
            priority=2,
            start=date(2025, 3, 1),
            confidential=True,
        ),
        task(
            7,
            "T-3",
            "Find an office",
            status="To do",
            status_category="todo",
            assignee="lead@acme.test",
            estimate=Decimal("5"),
            goal="G-4",
        ),
        goal(8, "G-5", "Hire a data team", status="draft", priority=3),
        task(
            9,
            "T-4",
            "Fix the export",
            status="Blocked",
            status_category="blocked",
            estimate=Decimal("1"),
        ),
    ]


def test_a_matrix_exported_before_its_trailing_columns_still_reads():
    # trace_before_import.csv: the first ten columns only. G-2's title holds " > ".
    assert read(VINDARIS_TRACE_CSV, "trace_before_import.csv") == [
        goal(2, "G-1", "Grow revenue"),
        goal(2, "G-2", "Win > the mid-market", parent="G-1"),
        goal(2, "G-3", "Ten new logos", parent="G-2", status="active"),
        task(
            2,
            "T-1",
            "Call prospects",
            status="In progress",
            status_category="in_progress",
            assignee="Pat Planner",
            estimate=Decimal("3"),
            goal="G-3",
            warnings=["outcome O-1 left out: the export has no outcome figures"],
        ),
        goal(3, "G-4", "Launch in Spain", parent="G-1", status="on_hold"),
        task(
            3,
            "T-3",
            "Find an office",
            status="To do",
            status_category="todo",
            estimate=Decimal("5"),
            goal="G-4",
        ),
        goal(4, "G-5", "Old bets", status="on_hold"),
        task(
            5,
            "T-4",
            "Fix the export",
            status="Blocked",
            status_category="blocked",
            estimate=Decimal("1"),
        ),
    ]


def test_the_matrix_reader_knows_every_column_of_the_export():
    header = ",".join(MATRIX_HEADER)
    rows = read_text(
        VINDARIS_TRACE_CSV,
        f"{header}\n,,,,,T-1,Fix the export,Done,,1,,,,,,,,,,,,,,,\n",
    )

    assert rows == [
        task(2, "T-1", "Fix the export", status="Done", status_category="done", estimate=1)
    ]


def test_a_csv_that_is_not_the_matrix_is_refused():
    with pytest.raises(UnreadableFile, match=r"^The file has no Goal path, Goal status, Outcome"):
        read_text(VINDARIS_TRACE_CSV, "Goal,Task,Task title,Status\nG-1,T-1,Call,Done\n")


def test_bad_cells_of_a_matrix_row_are_problems_and_its_goal_is_taken_once():
    header = ",".join(MATRIX_HEADER)
    g1 = "G-1 Grow,G-1 Grow,G-1,Active"
    text = (
        f"{header}\n"
        f"{g1},,T-1,Call,Doing,,x,Grow,,P9,,,,,,,,,,,,\n"
        f"{g1},,T-2,Write,Done,,2,Grow,,P9,,,,,,,,,,,,\n"
        f",,,,,,,,,,,,,,,,,,,,,,,,\n"
        f",,,,,T-2,Again,Done,,2,,,,,,,,,,,,,,,\n"
    )

    assert read_text(VINDARIS_TRACE_CSV, text) == [
        Problem(2, "priority 'P9' is not one of P1–P4"),
        Problem(2, "goal G-1 (line 2) cannot be taken"),
        Problem(3, "goal G-1 (line 2) cannot be taken"),
        Problem(5, "duplicate key T-2, first on line 3"),
    ]


# The trace's graph (JSON) ---------------------------------------------------------------------


def test_the_graph_gives_its_goals_outcomes_and_tasks_with_the_links_its_edges_make():
    # graph.json, as the trace exports it (G-5 and T-4 written without the fields a re-import
    # adds; O-2's target and current as JSON numbers): nodes by item number from 1.
    assert read(VINDARIS_JSON, "graph.json") == [
        goal(
            1,
            "G-1",
            "Grow revenue",
            status="active",
            priority=1,
            owner="lead@acme.test",
            start=date(2025, 1, 1),
            end=date(2025, 12, 31),
            description="Where the money\ncomes from.",
        ),
        goal(2, "G-2", "Win the mid-market", parent="G-1", status="active", priority=1),
        goal(
            3,
            "G-3",
            "Ten new logos",
            parent="G-2",
            status="on_hold",
            priority=2,
            owner="planner@acme.test",
            end=date(2025, 6, 30),
            confidential=True,
        ),
        goal(4, "G-5", "Hire a data team", status="draft", priority=3),
        OutcomeRow(
            line=5,
            key="O-1",
            goal="G-3",
            title="New logos",
            unit="logos",
            baseline=Decimal("0"),
            target=Decimal("10"),
            current=Decimal("4"),
            due=date(2025, 6, 30),
        ),
        OutcomeRow(
            line=6,
            key="O-2",
            goal="G-2",
            title="Days to close",
            unit="days",
            baseline=Decimal("-5"),
            target=Decimal("-20"),
            current=Decimal("-12.5"),
            direction="decrease",
        ),
        task(
            7,
            "T-1",
            "Call prospects",
            description="The list first.",
            status="in_progress",
            status_category="in_progress",
            assignee="planner@acme.test",
            estimate=Decimal("3"),
            due=date(2025, 4, 1),
            goal="G-3",
            outcome="O-1",
        ),
        # JSON is not run by a spreadsheet: its text is never guarded.
        task(
            8,
            "T-2",
            "=2 signed",
            status="done",
            status_category="done",
            estimate=Decimal("2"),
            goal="G-3",
        ),
        # No email: the name, which the importer cannot match to a member.
        task(
            9,
            "T-4",
            "Fix the export",
            status="blocked",
            status_category="blocked",
            assignee="Sam",
            estimate=Decimal("1"),
        ),
    ]


def test_each_broken_node_and_edge_of_a_graph_is_a_problem_saying_why():
    # graph_broken.json: edges (items 1-10) before nodes (items 11-21).
    assert read(VINDARIS_JSON, "graph_broken.json") == [
        # As read:
        Problem(
            6, "edge T-3 → G-3: kind 'depends_on' is not one of part_of, measures, serves, moves"
        ),
        Problem(14, "node E-1: type 'epic' is not goal, outcome or task"),
        Problem(15, "duplicate node G-1, first item 11"),
        Problem(16, "the node has no id"),
        Problem(21, "the node is not an object"),
        # Then the goals, the outcomes and the tasks, with their links.
        Problem(11, "goal G-1 is in a parent cycle: G-1 → G-2 → G-1"),
        Problem(12, "goal G-2 is in a parent cycle: G-1 → G-2 → G-1"),
        Problem(13, "priority '7' is not one of P1–P4"),
        Problem(17, "goal G-3 (item 13) cannot be taken"),  # O-1's goal, given in the node
        task(
            18,
            "T-1",
            "Served by a goal of the organization",
            status_category="todo",
            goal="G-9",
        ),
        Problem(
            19,
            "goal G-3 (item 13) cannot be taken; outcome 'KR-9' is not an outcome of the file",
        ),
        Problem(20, "goal G-2 (item 12) cannot be taken"),  # T-3's goal, given in the node
        # Then the edges that do not fit the nodes.
        Problem(7, "T-9 serves G-3: T-9 is not a task of the file"),
        Problem(8, "O-1 measures T-3: T-3 is not a goal"),
        Problem(10, "T-3 serves G-1, but also G-2"),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[{"id": "G-1"}]', "The file is JSON but not the trace's JSON export"),
        ('{"edges": []}', 'The file has no "nodes" list'),
        ('{"nodes": [{"id": "G-1", "type": "goal", "title": "Grow"}', "The file is not valid JSON"),
    ],
)
def test_a_json_file_that_is_not_the_graph_is_refused(text, message):
    with pytest.raises(UnreadableFile, match=f"^{message}"):
        read_text(VINDARIS_JSON, text)


def test_a_graph_is_read_as_it_streams_never_whole():
    nodes = ",".join(
        f'{{"id": "T-{n}", "type": "task", "title": "Task {n}"}}' for n in range(1, 3001)
    )
    text = f'{{"nodes": [{nodes}], "edges": []}}'
    reads: list[int] = []

    class Source(io.StringIO):
        def read(self, size: int | None = -1) -> str:
            assert size is not None and size >= 0, "read whole"
            reads.append(size)
            return super().read(size)

    rows = list(VINDARIS_JSON.read(Source(text)))

    assert len(rows) == 3000 and all(isinstance(row, WorkRow) for row in rows)
    assert len(reads) > 1 and max(reads) < len(text)


# The exports read back ------------------------------------------------------------------------


@pytest.fixture
def strategy(org, lead, planner, membership_of):
    """
    G-1 Grow revenue       active P1, the lead's, 2025, described
    ├─ G-2 Win the mid-market   active P2, no task of its own
    │  └─ G-3 Ten new logos     active P2, confidential
    │        O-1 New logos: 0 → 4 of 10 logos
    │        T-1 Call prospects  in progress, 3 pts, the planner's, due 2025-04-01, moves O-1
    │        T-2 Write the pitch done, 2 pts
    └─ G-4 Launch in Spain       on hold P3, no task
             O-2 Days to close: 30 → 10 days, due 2025-09-30, no task
    G-5 Hire a data team    draft P4, no task
    T-3 Fix the export      without a goal, 1 pt
    """
    org.allow_goalless_work = True
    org.save(update_fields=["allow_goalless_work"])
    g1 = make_goal(
        org,
        lead,
        "Grow revenue",
        priority=Priority.P1,
        owner=membership_of(lead, org),
        start_date=date(2025, 1, 1),
        end_date=date(2025, 12, 31),
        description="Where the money comes from.",
    )
    g2 = make_goal(org, lead, "Win the mid-market", parent=g1)
    g3 = make_goal(org, lead, "Ten new logos", parent=g2, confidential=True)
    g4 = make_goal(
        org, lead, "Launch in Spain", parent=g1, status=GoalStatus.ON_HOLD, priority=Priority.P3
    )
    g5 = make_goal(org, lead, "Hire a data team", status=GoalStatus.DRAFT, priority=Priority.P4)
    o1 = make_outcome(org, lead, g3, "New logos", "0", "10", current=Decimal(4), unit="logos")
    make_outcome(
        org,
        lead,
        g4,
        "Days to close",
        "30",
        "10",
        unit="days",
        direction=Direction.DECREASE,
        due_date=date(2025, 9, 30),
    )
    make_task(
        org,
        lead,
        g3,
        "Call prospects",
        estimate=3,
        outcome=o1,
        assignee=membership_of(planner, org),
        due_date=date(2025, 4, 1),
        status=TaskStatus.IN_PROGRESS,
        description="The list first.",
    )
    make_task(org, lead, g3, "Write the pitch", estimate=2, status=TaskStatus.DONE)
    make_task(org, lead, None, "Fix the export", origin=Origin.QUICK_ADD)
    return [g1.key, g2.key, g3.key, g4.key, g5.key]


def plain(item: Item) -> tuple:
    """A row without its line, its status as written and its descriptions (the matrix has
    none): what both exports must give alike."""
    if isinstance(item, GoalRow):
        return ("goal", item.key, item.title, item.parent, item.status, item.priority,
                item.owner, item.start, item.end, item.confidential)  # fmt: skip
    if isinstance(item, OutcomeRow):
        return ("outcome", item.key, item.goal, item.title, item.unit, item.baseline,
                item.target, item.current, item.direction, item.due)  # fmt: skip
    if isinstance(item, WorkRow):
        return ("task", item.key, item.title, item.goal, item.outcome, item.status_category,
                item.assignee, item.estimate, item.due, item.warnings)  # fmt: skip
    return ("problem", item)


BUILT = [
    ("goal", "G-1", "Grow revenue", "", "active", 1, "lead@acme.test",
     date(2025, 1, 1), date(2025, 12, 31), False),
    ("goal", "G-2", "Win the mid-market", "G-1", "active", 2, "", None, None, False),
    ("goal", "G-3", "Ten new logos", "G-2", "active", 2, "", None, None, True),
    ("goal", "G-4", "Launch in Spain", "G-1", "on_hold", 3, "", None, None, False),
    ("goal", "G-5", "Hire a data team", "", "draft", 4, "", None, None, False),
    ("outcome", "O-1", "G-3", "New logos", "logos", Decimal(0), Decimal(10), Decimal(4),
     "increase", None),
    ("outcome", "O-2", "G-4", "Days to close", "days", Decimal(30), Decimal(10), Decimal(30),
     "decrease", date(2025, 9, 30)),
    ("task", "T-1", "Call prospects", "G-3", "O-1", "in_progress", "planner@acme.test",
     Decimal(3), date(2025, 4, 1), []),
    ("task", "T-2", "Write the pitch", "G-3", "", "done", "", Decimal(2), None, []),
    ("task", "T-3", "Fix the export", "", "", "todo", "", Decimal(1), None, []),
]  # fmt: skip


def exported(client, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200
    return open_text(io.BytesIO(b"".join(response.streaming_content)))


def test_the_matrix_export_reads_back_as_the_organization_built(strategy, lead, client_for):
    rows = list(VINDARIS_TRACE_CSV.read(exported(client_for(lead), "/o/acme/trace/export.csv")))

    assert sorted(plain(row) for row in rows) == sorted(BUILT)
    # Tree order: each goal before what is under it.
    keys = [row.key for row in rows if isinstance(row, GoalRow | OutcomeRow | WorkRow)]
    assert keys == ["G-1", "G-2", "G-3", "O-1", "T-1", "T-2", "G-4", "O-2", "G-5", "T-3"]


def test_the_graph_export_reads_back_as_the_organization_built(strategy, lead, client_for):
    rows = list(VINDARIS_JSON.read(exported(client_for(lead), "/o/acme/trace/export.json")))

    assert [plain(row) for row in rows] == BUILT
    descriptions = {row.key: row.description for row in rows if isinstance(row, GoalRow | WorkRow)}
    assert descriptions["G-1"] == "Where the money comes from."
    assert descriptions["T-1"] == "The list first."


def test_a_member_who_cannot_see_a_confidential_goal_exports_none_of_it(
    strategy, planner, client_for
):
    client = client_for(planner)
    hidden = {"G-3", "O-1", "T-1", "T-2"}
    for reader, url in (
        (VINDARIS_TRACE_CSV, "/o/acme/trace/export.csv"),
        (VINDARIS_JSON, "/o/acme/trace/export.json"),
    ):
        rows = list(reader.read(exported(client, url)))
        assert sorted(plain(row) for row in rows) == sorted(
            row for row in BUILT if row[1] not in hidden
        )
