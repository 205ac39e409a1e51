"""Vindaris's own files: a strategy written by hand or in a spreadsheet, and the trace's two
exports read back, so that an organization's goals, outcomes and work move to another one.

Three formats, the same rows: a `GoalRow` per goal, an `OutcomeRow` per outcome, a `WorkRow` per
task (with `goal` and `outcome` set, `status` as written and `status_category` our status when
the name is one of ours), and a `Problem` for each row that cannot be taken.

**Vindaris strategy CSV** (`VINDARIS_CSV`): one row per goal, outcome or task, in any order.
Header names are matched whatever their case and spacing; other columns are ignored; a column a
row's type does not use is ignored on that row.

    Type          goal, outcome or task                                    every row
    Key           the row's own key, unique among its type ("G-1", "KR-3") every row
    Title         at most 200 characters                                   every row
    Parent        the key of the goal a goal is under                      goal
    Goal          the key of the goal an outcome measures (required) or a
                  task serves (empty: work without a goal)                 outcome, task
    Outcome       the key of the outcome a task moves (of its goal)        task
    Status        goal: draft (empty), active, on hold, achieved,
                  abandoned; task: to do, in progress, blocked, done,
                  cancelled (the values, on_hold, in_progress, too)        goal, task
    Priority      P1 … P4 or 1 … 4 (empty: P2)                             goal
    Owner         the owner's email                                        goal
    Start, End    the goal's period, YYYY-MM-DD                            goal
    Confidential  yes/no, true/false, 1/0 (empty: no)                      goal
    Unit          "%", "customers" (at most 30 characters)                 outcome
    Baseline, Target, Current
                  numbers with a "." for decimals, at most two; Target
                  required, Baseline empty is 0, Current empty is the
                  baseline                                                 outcome
    Direction     increase (empty) or decrease                             outcome
    Due           YYYY-MM-DD                                               outcome, task
    Estimate      effort points, a number from 0 to 10,000                 task
    Assignee      the assignee's email                                     task
    Description   kept as written                                          goal, task

A bad cell in a goal or an outcome makes the row a problem (every bad cell named); a task keeps
its row and gets a warning for a bad status, estimate or due date (left empty, or for the status
left for the user to map).

**Vindaris trace export CSV** (`VINDARIS_TRACE_CSV`): the trace's matrix
(traceability.views.exports.MATRIX_HEADER), a row per task under its goal path, then a row per
goal without a task of its own and per outcome without a task, then work without a goal. Every
row repeats its goal's fields (and its outcome's): each goal and outcome is taken from the first
row that names it. Statuses are read by their labels ("On hold", "In progress"). An export made
before the matrix had its trailing columns still reads: each goal's title and parent come from
the goal path, a goal named only in paths gets a row with its key, title and parent alone,
assignees are their names, and outcomes (without their figures) are left out, each task aiming
at one warned.

**Vindaris JSON** (`VINDARIS_JSON`): the trace's graph export, `{…, "nodes": [...], "edges":
[...]}`, streamed. Nodes are goals (`id`, `title`, `status`, `priority`, `owner_email`,
`start_date`, `end_date`, `confidential`, `description`), outcomes (`id`, `title`, `unit`,
`baseline`, `target`, `current`, `direction`, `due_date`) and tasks (`id`, `title`, `status`,
`estimate`, `assignee_email`, `due_date`, `description`), values as in the strategy CSV.
Links are edges: `part_of` (goal → parent goal), `measures` (outcome → goal), `serves` (task →
goal), `moves` (task → outcome); a hand-written node may name them instead (`parent`, `goal`,
`outcome`). The links come after the nodes, so each node's fields are kept, as text in a dict
keyed by the node's id, until the file is read; then come the goals, the outcomes and the tasks,
each kind in file order and with its links (a node that is not taken is a problem in its
place), and last the edges' problems. A JSON file has no lines to speak of: `line` is the
item's number, from 1, nodes then edges.

**References** (a goal's parent, an outcome's goal, a task's goal and outcome) are keys. A key
the file defines names that row, wherever it is in the file. A key the file does not define is
left for the importer to look up in the organization when it has the shape of one (G-12 a goal,
O-3 an outcome); any other is a problem. A task naming an outcome but no goal gets the outcome's
goal when the outcome came first in the file (otherwise `goal` stays empty: the outcome's goal
is meant).

**Problems found once the file is read** (a parent cycle: each goal in it; a key that names
nothing; a task whose outcome measures another goal than the task serves) come after the rows,
on the line of a row already yielded and naming it first ("task T-4: …", "goal G-1 is in a
parent cycle …": a line of the matrix holds a goal, an outcome and a task): that row is not to
be taken. Rows naming it are the importer's to refuse. (The JSON reader, which holds its rows
until the end anyway, yields such a problem in the row's place instead.)
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple, TextIO

import ijson

from imports.readers.base import (
    BLOCKED,
    CANCELLED,
    DONE,
    IN_PROGRESS,
    TODO,
    GoalRow,
    Item,
    OutcomeRow,
    Problem,
    Reader,
    UnreadableFile,
    WorkRow,
)
from imports.readers.cells import ESTIMATE_MAX, Keys, one_line
from imports.readers.text import BytesOf, CsvFile, Row
from vindaris.lib.spreadsheet import FORMULA_STARTS

GOAL, OUTCOME, TASK = "goal", "outcome", "task"

# The shape of an organization's own keys: a reference to one the file does not define is the
# importer's to look up.
ORGANIZATION_KEY = {GOAL: re.compile(r"G-\d+"), OUTCOME: re.compile(r"O-\d+")}

GOAL_STATUSES = {
    "draft": "draft",
    "active": "active",
    "on hold": "on_hold",
    "achieved": "achieved",
    "abandoned": "abandoned",
}
TASK_STATUSES = {
    "to do": TODO,
    "todo": TODO,
    "in progress": IN_PROGRESS,
    "blocked": BLOCKED,
    "done": DONE,
    "cancelled": CANCELLED,
    "canceled": CANCELLED,
}
DIRECTIONS = ("increase", "decrease")
YES = ("yes", "true", "1")
NO = ("no", "false", "0")

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBER = re.compile(r"-?(\d+)(?:\.(\d+))?")
_PRIORITY = re.compile(r"[Pp]?([1-4])")
# Outcome.baseline, target and current: 14 digits, 2 after the point.
DECIMALS = 2
INTEGER_DIGITS = 12
UNIT_MAX = 30  # Outcome.unit


def _a(kind: str) -> str:
    return f"an {kind}" if kind == OUTCOME else f"a {kind}"


class Bad(Exception):
    """A cell that makes its row a problem; the message names the cell and why."""


def unguard(value: str) -> str:
    """A cell without the quote the exports (vindaris.lib.spreadsheet) put before text a
    spreadsheet would run as a formula."""
    if len(value) > 1 and value[0] == "'" and value[1] in FORMULA_STARTS:
        return value[1:]
    return value


def _name(value: str) -> str:
    """A status or direction as matched: case, underscores and runs of spaces ignored."""
    return " ".join(value.replace("_", " ").split()).casefold()


def _date(value: str, what: str) -> date | None:
    if not value:
        return None
    try:
        if not _ISO_DATE.fullmatch(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise Bad(f"{what} {value!r} is not a date (YYYY-MM-DD)") from None


def _decimal(value: str, what: str) -> Decimal | None:
    if not value:
        return None
    match = _NUMBER.fullmatch(value)
    if not match:
        hint = " (use . for decimals)" if "," in value else ""
        raise Bad(f"{what} {value!r} is not a number{hint}")
    if match[2] and len(match[2].rstrip("0")) > DECIMALS:
        raise Bad(f"{what} {value!r} has more than {DECIMALS} decimals")
    if len(match[1].lstrip("0")) > INTEGER_DIGITS:
        raise Bad(f"{what} {value!r} is too large")
    return Decimal(value)


def _priority(value: str) -> int | None:
    if not value:
        return None
    match = _PRIORITY.fullmatch(value)
    if not match:
        raise Bad(f"priority {value!r} is not one of P1–P4")
    return int(match[1])


def _confidential(value: str) -> bool:
    if not value or value.casefold() in NO:
        return False
    if value.casefold() in YES:
        return True
    raise Bad(f"confidential {value!r} is not yes or no")


def _goal_status(value: str) -> str:
    if not value:
        return ""
    status = GOAL_STATUSES.get(_name(value))
    if status is None:
        raise Bad(f"status {value!r} is not one of draft, active, on hold, achieved, abandoned")
    return status


def _direction(value: str) -> str:
    if not value:
        return "increase"
    if _name(value) not in DIRECTIONS:
        raise Bad(f"direction {value!r} is not increase or decrease")
    return _name(value)


def _checked(*cells: Callable[[], Any]) -> tuple[list[Any], list[str]]:
    """Each cell's value (None for a bad one) and the reasons of the bad ones."""
    values, reasons = [], []
    for read_cell in cells:
        try:
            values.append(read_cell())
        except Bad as bad:
            values.append(None)
            reasons.append(str(bad))
    return values, reasons


# References: what only the whole file shows -------------------------------------------------


class _Ref(NamedTuple):
    line: int
    kind: str  # GOAL or OUTCOME: what the key names
    key: str
    what: str  # the cell, in words: "parent", "goal", "outcome"
    goal: str  # a task's goal, to check its outcome against ("" otherwise)
    row: str  # the row that refers, in words: "task T-4"


@dataclass
class Links:
    """The goals and outcomes a file defines (their line and the key they link to) and the
    references read before what they name, checked once the whole file is read: references to
    nothing, tasks whose outcome measures another goal, parent cycles."""

    goals: dict[str, tuple[int, str]] = field(default_factory=dict)  # key → (line, parent)
    outcomes: dict[str, tuple[int, str]] = field(default_factory=dict)  # key → (line, goal)
    refused: dict[tuple[str, str], int] = field(default_factory=dict)  # (kind, key) → line
    place: str = "line"  # what a row's number counts: "line" (CSV) or "item" (JSON)
    # Everything the references may name is read: they are checked at once.
    complete: bool = False
    _pending: list[_Ref] = field(default_factory=list)

    def define(self, kind: str, line: int, key: str, link: str) -> None:
        (self.goals if kind == GOAL else self.outcomes)[key] = (line, link)

    def refuse(self, kind: str, line: int, key: str) -> None:
        """A row that was not taken: what names it is a problem."""
        if key:
            self.refused.setdefault((kind, key), line)

    def refer(
        self, line: int, kind: str, key: str, what: str, *, row: str, goal: str = ""
    ) -> str | None:
        """A reference from `row`, checked now if what it names was read (the reason it is
        bad, if it is), else kept for `problems`."""
        if not key:
            return None
        ref = _Ref(line, kind, key, what, goal, row)
        known = self.goals if kind == GOAL else self.outcomes
        if self.complete or key in known or (kind, key) in self.refused:
            return self._check(ref)
        self._pending.append(ref)
        return None

    def outcome_goal(self, key: str) -> str:
        """The goal an outcome read so far measures ("" when unknown)."""
        return self.outcomes[key][1] if key in self.outcomes else ""

    def _check(self, ref: _Ref) -> str | None:
        known = self.goals if ref.kind == GOAL else self.outcomes
        if ref.key in known:
            line, goal = known[ref.key]
            if ref.kind == OUTCOME and ref.goal and goal != ref.goal:
                return (
                    f"outcome {ref.key} ({self.place} {line}) measures {goal}, not "
                    f"{ref.goal} which the task serves"
                )
            return None
        if (ref.kind, ref.key) in self.refused:
            line = self.refused[(ref.kind, ref.key)]
            return f"{ref.what} {ref.key} ({self.place} {line}) cannot be taken"
        if ORGANIZATION_KEY[ref.kind].fullmatch(ref.key):
            return None  # the importer looks it up in the organization
        return f"{ref.what} {ref.key!r} is not {_a(ref.kind)} of the file"

    def problems(self) -> Iterator[Problem]:
        """The pending references that turned out bad, then each goal in a parent cycle; each
        message starts with the row it refuses ("task T-4: …", "goal G-1 is …"), as a line
        may hold several rows (a goal, an outcome and a task in the trace's matrix)."""
        for ref in self._pending:
            if reason := self._check(ref):
                yield Problem(ref.line, f"{ref.row}: {reason}")
        self._pending.clear()
        yield from self._cycles()

    def _cycles(self) -> Iterator[Problem]:
        """Each goal in a parent cycle, which is then refused."""
        done: set[str] = set()
        members: list[str] = []
        for start in self.goals:
            path: list[str] = []
            on_path: set[str] = set()
            key = start
            while key in self.goals and key not in done and key not in on_path:
                path.append(key)
                on_path.add(key)
                key = self.goals[key][1]
            if key in on_path:
                cycle = path[path.index(key) :]
                shown = " → ".join([*cycle, key])
                members += cycle
                for member in cycle:
                    line = self.goals[member][0]
                    if len(cycle) == 1:
                        yield Problem(line, f"goal {member} is its own parent")
                    else:
                        yield Problem(line, f"goal {member} is in a parent cycle: {shown}")
            done.update(path)
        for member in members:
            self.refuse(GOAL, self.goals.pop(member)[0], member)


# Rows from cells, whatever the format ----------------------------------------------------------


class Rows:
    """Goal, outcome and task rows made from cells as text (a format's cells, read and
    unguarded), their keys checked for duplicates and their references recorded."""

    def __init__(self, place: str = "line") -> None:
        self.keys = {GOAL: Keys(), OUTCOME: Keys(), TASK: Keys()}
        self.links = Links(place=place)

    def _key(self, kind: str, line: int, key: str, title: str, reasons: list[str]) -> None:
        problem = self.keys[kind].check(line, key, title)
        if problem:
            reasons.insert(0, problem.message)

    def _refer(
        self, line: int, kind: str, key: str, what: str, row: str, reasons: list[str]
    ) -> None:
        if reason := self.links.refer(line, kind, key, what, row=row):
            reasons.append(reason)

    def goal(
        self,
        line: int,
        *,
        key: str,
        title: str,
        parent: str = "",
        status: str = "",
        priority: str = "",
        owner: str = "",
        start: str = "",
        end: str = "",
        confidential: str = "",
        description: str = "",
    ) -> GoalRow | Problem:
        title = one_line(title)
        values, reasons = _checked(
            lambda: _goal_status(status),
            lambda: _priority(priority),
            lambda: _date(start, "start"),
            lambda: _date(end, "end"),
            lambda: _confidential(confidential),
        )
        goal_status, goal_priority, start_date, end_date, is_confidential = values
        if start_date and end_date and start_date > end_date:
            reasons.append(f"start {start_date} is after end {end_date}")
        if parent and parent == key:
            reasons.append(f"goal {key} is its own parent")
        self._key(GOAL, line, key, title, reasons)
        if not reasons:
            self._refer(line, GOAL, parent, "parent", f"goal {key}", reasons)
        if reasons:
            self.links.refuse(GOAL, line, key)
            return Problem(line, "; ".join(reasons))
        self.links.define(GOAL, line, key, parent)
        return GoalRow(
            line=line,
            key=key,
            title=title,
            parent=parent,
            status=goal_status,
            priority=goal_priority,
            owner=owner,
            start=start_date,
            end=end_date,
            confidential=is_confidential,
            description=description,
        )

    def outcome(
        self,
        line: int,
        *,
        key: str,
        title: str,
        goal: str,
        unit: str = "",
        baseline: str = "",
        target: str = "",
        current: str = "",
        direction: str = "",
        due: str = "",
    ) -> OutcomeRow | Problem:
        title = one_line(title)
        values, reasons = _checked(
            lambda: _decimal(baseline, "baseline"),
            lambda: _decimal(target, "target"),
            lambda: _decimal(current, "current"),
            lambda: _direction(direction),
            lambda: _date(due, "due date"),
        )
        baseline_value, target_value, current_value, outcome_direction, due_date = values
        if not target:
            reasons.append("no target")
        if len(unit) > UNIT_MAX:
            reasons.append(f"unit is {len(unit)} characters; the limit is {UNIT_MAX}")
        if not goal:
            reasons.append("no goal: an outcome measures a goal")
        self._key(OUTCOME, line, key, title, reasons)
        if not reasons:
            self._refer(line, GOAL, goal, "goal", f"outcome {key}", reasons)
        if reasons:
            self.links.refuse(OUTCOME, line, key)
            return Problem(line, "; ".join(reasons))
        self.links.define(OUTCOME, line, key, goal)
        return OutcomeRow(
            line=line,
            key=key,
            goal=goal,
            title=title,
            unit=unit,
            baseline=baseline_value if baseline_value is not None else Decimal(0),
            target=target_value,
            current=current_value,
            direction=outcome_direction,
            due=due_date,
        )

    def task(
        self,
        line: int,
        *,
        key: str,
        title: str,
        goal: str = "",
        outcome: str = "",
        status: str = "",
        estimate: str = "",
        assignee: str = "",
        due: str = "",
        description: str = "",
    ) -> WorkRow | Problem:
        title = one_line(title)
        reasons: list[str] = []
        self._key(TASK, line, key, title, reasons)
        if not reasons:
            goal = goal or self.links.outcome_goal(outcome)
            row = f"task {key}"
            self._refer(line, GOAL, goal, "goal", row, reasons)
            if reason := self.links.refer(line, OUTCOME, outcome, "outcome", row=row, goal=goal):
                reasons.append(reason)
        if reasons:
            return Problem(line, "; ".join(reasons))
        warnings: list[str] = []
        category = TASK_STATUSES.get(_name(status), "") if status else TODO
        if status and not category:
            warnings.append(
                f"status {status!r} is not one of to do, in progress, blocked, done, "
                f"cancelled: map it to one"
            )
        due_date = None
        try:
            due_date = _date(due, "due date")
        except Bad as bad:
            warnings.append(f"{bad}: left empty")
        return WorkRow(
            line=line,
            key=key,
            title=title,
            description=description,
            status=status,
            status_category=category,
            assignee=assignee,
            estimate=_estimate(estimate, warnings),
            due=due_date,
            goal=goal,
            outcome=outcome,
            warnings=warnings,
        )


def _estimate(value: str, warnings: list[str]) -> Decimal | None:
    if not value:
        return None
    match = _NUMBER.fullmatch(value)
    if not match or value.startswith("-") or Decimal(value) > ESTIMATE_MAX:
        warnings.append(f"estimate {value!r} is not a number from 0 to 10,000: left empty")
        return None
    return Decimal(value)


# The strategy CSV ------------------------------------------------------------------------------

STRATEGY_REQUIRED = ("Type", "Key", "Title")
STRATEGY_COLUMNS = (
    "Type",
    "Key",
    "Title",
    "Parent",
    "Goal",
    "Outcome",
    "Status",
    "Priority",
    "Owner",
    "Start",
    "End",
    "Confidential",
    "Unit",
    "Baseline",
    "Target",
    "Current",
    "Direction",
    "Due",
    "Estimate",
    "Assignee",
    "Description",
)


def _cell(row: Row) -> Callable[[str], str]:
    def cell(name: str) -> str:
        return unguard(row.get(name))

    return cell


def read_strategy_csv(text: TextIO) -> Iterator[Item]:
    """A Vindaris strategy CSV's goals, outcomes and tasks, in file order, then the problems
    only the whole file shows (see the module's docstring)."""
    table = CsvFile(text)
    if missing := table.missing(*STRATEGY_REQUIRED):
        raise UnreadableFile(
            f"The file has no {', '.join(missing)} column: a Vindaris strategy CSV needs "
            f"{', '.join(STRATEGY_REQUIRED)}, and takes {', '.join(STRATEGY_COLUMNS[3:])}."
        )
    rows = Rows()
    for row in table:
        if not isinstance(row, Row):
            yield row
            continue
        cell = _cell(row)
        kind = cell("Type").casefold()
        key, title = cell("Key"), cell("Title")
        description = unguard(row.raw("Description").strip())
        if kind == GOAL:
            yield rows.goal(
                row.line,
                key=key,
                title=title,
                parent=cell("Parent"),
                status=cell("Status"),
                priority=cell("Priority"),
                owner=cell("Owner"),
                start=cell("Start"),
                end=cell("End"),
                confidential=cell("Confidential"),
                description=description,
            )
        elif kind == OUTCOME:
            yield rows.outcome(
                row.line,
                key=key,
                title=title,
                goal=cell("Goal"),
                unit=cell("Unit"),
                baseline=cell("Baseline"),
                target=cell("Target"),
                current=cell("Current"),
                direction=cell("Direction"),
                due=cell("Due"),
            )
        elif kind == TASK:
            yield rows.task(
                row.line,
                key=key,
                title=title,
                goal=cell("Goal"),
                outcome=cell("Outcome"),
                status=cell("Status"),
                estimate=cell("Estimate"),
                assignee=cell("Assignee"),
                due=cell("Due"),
                description=description,
            )
        else:
            shown = repr(cell("Type")) if cell("Type") else "(empty)"
            yield Problem(row.line, f"type {shown} is not goal, outcome or task")
    yield from rows.links.problems()


# The trace's matrix (CSV) ---------------------------------------------------------------------

TRACE_REQUIRED = ("Goal path", "Goal", "Goal status", "Outcome", "Task", "Task title", "Status")
# The columns an older matrix does not have: without them goals come from the goal path.
TRACE_GOAL_COLUMNS = ("Goal title", "Parent goal")

_PATH_LABEL = re.compile(r" > (?=G-\d+ )")
_OUTCOME_LABEL = re.compile(r"(O-\d+) ?(.*)", re.S)


def _path(cell: str) -> list[tuple[str, str]]:
    """A goal path ("G-1 Grow revenue > G-4 Ten new logos") as (key, title) pairs."""
    labels = _PATH_LABEL.split(cell) if cell else []
    return [(label.partition(" ")[0], label.partition(" ")[2]) for label in labels]


def read_trace_csv(text: TextIO) -> Iterator[Item]:
    """The trace's matrix export: each goal and outcome once (from the first row naming it),
    each task, in file order, then the problems only the whole file shows (see the module's
    docstring)."""
    table = CsvFile(text)
    if missing := table.missing(*TRACE_REQUIRED):
        raise UnreadableFile(
            f"The file has no {', '.join(missing)} column: it is not the trace's CSV export "
            f"(Trace → Export CSV)."
        )
    full = table.has(*TRACE_GOAL_COLUMNS)
    rows = Rows()
    seen: set[str] = set()  # goals and outcomes taken (or refused) already
    for row in table:
        if not isinstance(row, Row):
            yield row
            continue
        cell = _cell(row)
        goal, task = cell("Goal"), cell("Task")
        outcome, outcome_title = "", ""
        if label := cell("Outcome"):
            match = _OUTCOME_LABEL.fullmatch(label)
            outcome, outcome_title = (match[1], match[2]) if match else (label, "")
        if not (goal or outcome or task):
            yield Problem(row.line, "the row names no goal, outcome or task")
            continue
        if goal and goal not in seen:
            path = _path(cell("Goal path"))
            if full:
                title, parent = cell("Goal title"), cell("Parent goal")
            else:
                # An older matrix: the path gives titles and parents, and the goals above.
                for depth, (key, ancestor_title) in enumerate(path[:-1]):
                    if key not in seen:
                        seen.add(key)
                        above = path[depth - 1][0] if depth else ""
                        yield rows.goal(row.line, key=key, title=ancestor_title, parent=above)
                title = path[-1][1] if path and path[-1][0] == goal else ""
                parent = path[-2][0] if len(path) > 1 else ""
            seen.add(goal)
            yield rows.goal(
                row.line,
                key=goal,
                title=title,
                parent=parent,
                status=cell("Goal status"),
                priority=cell("Goal priority"),
                owner=cell("Goal owner email"),
                start=cell("Goal start"),
                end=cell("Goal end"),
                confidential=cell("Confidential"),
            )
        warnings = []
        if outcome and not full:
            warnings.append(f"outcome {outcome} left out: the export has no outcome figures")
            outcome = ""
        if outcome and outcome not in seen:
            seen.add(outcome)
            yield rows.outcome(
                row.line,
                key=outcome,
                title=outcome_title,
                goal=goal,
                unit=cell("Outcome unit"),
                baseline=cell("Outcome baseline"),
                target=cell("Outcome target"),
                current=cell("Outcome current"),
                direction=cell("Outcome direction"),
                due=cell("Outcome due"),
            )
        if task:
            work = rows.task(
                row.line,
                key=task,
                title=cell("Task title"),
                goal=goal,
                outcome=outcome,
                status=cell("Status"),
                estimate=cell("Estimate"),
                assignee=cell("Assignee email") or cell("Assignee"),
                due=cell("Due date"),
            )
            if isinstance(work, WorkRow):
                work.warnings[:0] = warnings
            yield work
    yield from rows.links.problems()


# The trace's graph (JSON) ---------------------------------------------------------------------

EDGE_KINDS = {  # kind → (source's type, target's type, the link it sets)
    "part_of": (GOAL, GOAL, "parent"),
    "measures": (OUTCOME, GOAL, "goal"),
    "serves": (TASK, GOAL, "goal"),
    "moves": (TASK, OUTCOME, "outcome"),
}


def _text(value: Any) -> str:
    """A JSON value as the cell it would be in a CSV: null empty, booleans true or false."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


class _Node(NamedTuple):
    """A node's cells, kept until the edges are read (a tuple: a file's worth stays small)."""

    item: int
    type: str
    cells: dict[str, str]


# Each cell of a node's row, from the first of these keys with a value.
_NODE_FIELDS: dict[str, dict[str, str | tuple[str, ...]]] = {
    GOAL: {
        "title": "title",
        "status": "status",
        "priority": "priority",
        "owner": ("owner_email", "owner"),
        "start": "start_date",
        "end": "end_date",
        "confidential": "confidential",
        "description": "description",
    },
    OUTCOME: {
        "title": "title",
        "unit": "unit",
        "baseline": "baseline",
        "target": "target",
        "current": "current",
        "direction": "direction",
        "due": "due_date",
    },
    TASK: {
        "title": "title",
        "status": "status",
        "estimate": "estimate",
        "assignee": ("assignee_email", "assignee"),
        "due": "due_date",
        "description": "description",
    },
}
_INLINE_LINKS = {GOAL: ("parent",), OUTCOME: ("goal",), TASK: ("goal", "outcome")}


def _node_cells(kind: str, node: dict[str, Any]) -> dict[str, str]:
    cells: dict[str, str] = {}
    for name, keys in _NODE_FIELDS[kind].items():
        for json_key in (keys,) if isinstance(keys, str) else keys:
            value = node.get(json_key)
            if name == "description":
                cells[name] = value if isinstance(value, str) else ""
            else:
                cells[name] = _text(value)
            if cells[name]:
                break
    for link in _INLINE_LINKS[kind]:
        cells[link] = _text(node.get(link))
    return cells


def _items(text: TextIO) -> Iterator[tuple[str, Any]]:
    """("nodes" or "edges", the item) for each item of the two lists, as read."""
    builder: ijson.ObjectBuilder | None = None
    within = ""
    depth = 0
    lists: set[str] = set()
    try:
        for prefix, event, value in ijson.parse(BytesOf(text)):
            if depth == 0 and event != "start_map":
                raise UnreadableFile(
                    'The file is JSON but not the trace\'s JSON export: an object with "nodes" '
                    'and "edges" lists (Trace → Export JSON).'
                )
            depth += event in ("start_map", "start_array")
            depth -= event in ("end_map", "end_array")
            if builder is None:
                if prefix in ("nodes", "edges") and event == "start_array":
                    lists.add(prefix)
                elif prefix in ("nodes.item", "edges.item"):
                    within = prefix[:5]
                    builder = ijson.ObjectBuilder()
                    builder.event(event, value)
                    if event not in ("start_map", "start_array"):
                        yield within, builder.value
                        builder = None
                continue
            builder.event(event, value)
            if prefix == f"{within}.item" and event in ("end_map", "end_array"):
                yield within, builder.value
                builder = None
    except ijson.JSONError as error:
        raise UnreadableFile(f"The file is not valid JSON ({error}).") from None
    if "nodes" not in lists:
        raise UnreadableFile(
            'The file has no "nodes" list: it is not the trace\'s JSON export (Trace → Export '
            "JSON)."
        )


def read_json(text: TextIO) -> Iterator[Item]:
    """The trace's graph export: its goals, outcomes and tasks, once the edges have given their
    links (each kind in file order, a problem in place of a node that cannot be taken), then
    the edges' problems (see the module's docstring)."""
    nodes: dict[str, _Node] = {}
    problems: list[Problem] = []
    links: dict[tuple[str, str], str] = {}  # (node id, "parent"/"goal"/"outcome") → target
    edges: list[tuple[int, str, str, str]] = []  # (item, source, kind, target)
    for count, (within, item) in enumerate(_items(text), start=1):
        if within == "nodes":
            if not isinstance(item, dict):
                yield Problem(count, "the node is not an object")
                continue
            key, kind = _text(item.get("id")), _text(item.get("type")).casefold()
            if not key:
                yield Problem(count, "the node has no id")
                continue
            if kind not in _NODE_FIELDS:
                yield Problem(count, f"node {key}: type {kind!r} is not goal, outcome or task")
                continue
            if key in nodes:
                yield Problem(count, f"duplicate node {key}, first item {nodes[key].item}")
                continue
            nodes[key] = _Node(count, kind, _node_cells(kind, item))
            continue
        if not isinstance(item, dict):
            yield Problem(count, "the edge is not an object")
            continue
        source, target = _text(item.get("source")), _text(item.get("target"))
        kind = _text(item.get("kind"))
        if kind not in EDGE_KINDS:
            yield Problem(
                count,
                f"edge {source} → {target}: kind {kind!r} is not one of {', '.join(EDGE_KINDS)}",
            )
            continue
        if not source or not target:
            yield Problem(count, f"{kind} edge without a source or a target")
            continue
        edges.append((count, source, kind, target))
    # The links: each edge checked against the nodes now that all are read.
    for count, source, kind, target in edges:
        source_type, target_type, link = EDGE_KINDS[kind]
        node = nodes.get(source)
        if node is None or node.type != source_type:
            problems.append(
                Problem(
                    count,
                    f"{source} {kind} {target}: {source} is not {_a(source_type)} of the file",
                )
            )
            continue
        if target in nodes and nodes[target].type != target_type:
            problems.append(
                Problem(count, f"{source} {kind} {target}: {target} is not {_a(target_type)}")
            )
            continue
        other = links.get((source, link)) or node.cells[link]
        if other and other != target:
            problems.append(Problem(count, f"{source} {kind} {target}, but also {other}"))
            continue
        links[(source, link)] = target
    del edges
    rows = Rows("item")

    def linked(key: str, node: _Node, name: str) -> str:
        return node.cells[name] or links.get((key, name), "")

    # Goals, then outcomes, then tasks: each kind's references are checked with all it may
    # name known, so that only the goals' rows (few) wait for their parents and cycles.
    goal_rows = [
        rows.goal(node.item, key=key, **{**node.cells, "parent": linked(key, node, "parent")})
        for key, node in nodes.items()
        if node.type == GOAL
    ]
    late: dict[int, list[str]] = {}
    for problem in rows.links.problems():
        late.setdefault(problem.line, []).append(problem.message)
    for row in goal_rows:
        if row.line in late:
            earlier = [row.message] if isinstance(row, Problem) else []
            yield Problem(row.line, "; ".join(earlier + late.pop(row.line)))
        else:
            yield row
    del goal_rows
    rows.links.complete = True
    for kind in (OUTCOME, TASK):
        for key, node in nodes.items():
            if node.type != kind:
                continue
            if kind == OUTCOME:
                yield rows.outcome(
                    node.item, key=key, **{**node.cells, "goal": linked(key, node, "goal")}
                )
            else:
                cells = {
                    **node.cells,
                    "goal": linked(key, node, "goal"),
                    "outcome": linked(key, node, "outcome"),
                }
                yield rows.task(node.item, key=key, **cells)
    for line, messages in late.items():
        yield Problem(line, "; ".join(messages))
    yield from problems


VINDARIS_CSV = Reader(
    name="vindaris_csv", label="Vindaris strategy CSV", source="vindaris", read=read_strategy_csv
)
VINDARIS_TRACE_CSV = Reader(
    name="vindaris_trace_csv",
    label="Vindaris trace export CSV",
    source="vindaris",
    read=read_trace_csv,
)
VINDARIS_JSON = Reader(
    name="vindaris_json", label="Vindaris JSON", source="vindaris", read=read_json
)
