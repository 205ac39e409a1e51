"""What every reader gives the importer: the rows of one file, as the source tool has them.

A reader takes the file's text (already decoded: `imports.readers.text`)
and yields, one at a time and in file order, a `WorkRow` for each piece of work, a `GroupRow`
for a row that *is* a grouping (a Jira epic), `GoalRow`/`OutcomeRow` for a strategy file, and a
`Problem` for each row it cannot take (with its line number and why). It never loads the file
whole: the importer streams 100,000 rows with flat memory.

Readers do not know the organization: matching people to members, statuses to ours and groups to
goals is the importer's (`imports.services`), driven by the mapping the user edits.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TextIO

# Our statuses, as a reader may suggest them from the tool's own category.
TODO, IN_PROGRESS, BLOCKED, DONE, CANCELLED = "todo", "in_progress", "blocked", "done", "cancelled"

# The longest text the importer keeps for a title (Task.title, Goal.title): a longer title is a
# problem row, never cut silently.
TITLE_MAX = 200
KEY_MAX = 100


@dataclass
class WorkRow:
    """One piece of work (a task in Vindaris)."""

    line: int  # the file's line (or JSON item) number where the row starts, from 1
    key: str  # the tool's key: "PM-92", "ENG-12", "acme/web#12", an Asana task id, "T-12"
    title: str
    description: str = ""
    status: str = ""  # the tool's own status name, as written ("In Review", "closed")
    # Our status the tool's category implies, where it has one (Jira's Status Category, GitHub's
    # state and stateReason, Asana's Completed At, Linear's Completed/Canceled); "" when unknown.
    status_category: str = ""
    assignee: str = ""  # an email or a name, as written; "" when unassigned
    estimate: Decimal | None = None  # story points or the tool's estimate
    due: date | None = None
    # The grouping that means "goal" in the tool (Jira epic, Linear project, GitHub milestone,
    # Asana project): its key, and its title where the file has one ("" when the row has none).
    group: str = ""
    group_title: str = ""
    parent: str = ""  # the key of the work item this one is under (a sub-task's parent)
    labels: list[str] = field(default_factory=list)
    # Strategy files only: the goal and outcome the task serves, by their keys in the file
    # ("G-3", "O-2") or, for a goal already in the organization, by its number ("G-12").
    goal: str = ""
    outcome: str = ""
    # What the reader could not take from an otherwise good row, in words ("due date '31/13/20'
    # is not a date: left empty"); the row is still imported.
    warnings: list[str] = field(default_factory=list)
    # The tool's own id for the row where it has one besides the key (Jira's numeric Issue id):
    # another row's `parent` or `group` may name this row by it (Jira Cloud's Parent column: a
    # parent that comes after its children in the file). "" when the tool has none.
    ref: str = ""


@dataclass
class GroupRow:
    """A row that is itself a grouping: a Jira epic (its key and summary)."""

    line: int
    key: str
    title: str
    ref: str = ""  # as WorkRow.ref: the epic's numeric id in a Jira export


@dataclass
class GoalRow:
    """A goal of a strategy file."""

    line: int
    key: str
    title: str
    parent: str = ""
    status: str = ""  # draft, active, on_hold, achieved, abandoned ("" = draft)
    priority: int | None = None  # 1..4 (P1..P4); None = P2
    owner: str = ""  # an email
    start: date | None = None
    end: date | None = None
    confidential: bool = False
    description: str = ""


@dataclass
class OutcomeRow:
    """An outcome of a strategy file."""

    line: int
    key: str
    goal: str
    title: str
    unit: str = ""
    baseline: Decimal = Decimal(0)
    target: Decimal = Decimal(0)
    current: Decimal | None = None  # None = the baseline
    direction: str = "increase"  # increase or decrease
    due: date | None = None


@dataclass
class Problem:
    """A row the reader cannot take: its line and why, in words a user can act on."""

    line: int
    message: str


Item = WorkRow | GroupRow | GoalRow | OutcomeRow | Problem


class UnreadableFile(Exception):
    """The whole file cannot be read (empty, not this format, bad encoding, unbalanced quote):
    the message says why and what to do."""


@dataclass(frozen=True)
class Reader:
    """A format: its name, the source it records on imported rows, how to tell it from its
    header, and the function that reads it."""

    name: str  # "jira", "linear", "github", "github_project", "asana", "vindaris_csv", …
    label: str  # "Jira CSV", shown to users
    source: str  # recorded on imported objects: "jira", "linear", "github", "asana", "vindaris"
    read: Callable[[TextIO], Iterator[Item]]
