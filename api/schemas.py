"""The API's documents: how a goal, an outcome, a check-in, a task, a flag and a member look to
the outside, and what a request may send. One module, so that everything that shows these
objects (the API's answers, and later the webhooks' payloads) shows them alike.

Objects are named by their numbers as people read them ("G-12", "O-3", "T-345"), never by
database ids; members by their email. Each `*_out` function builds an object's document from a
loaded instance and reads nothing more from the database (each says what it needs loaded)."""

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any, Literal

from django.conf import settings
from django.urls import reverse
from ninja import Field, Schema
from pydantic import AfterValidator, BaseModel, StringConstraints

from goals.models import CheckIn, Direction, GoalStatus, Priority
from goals.models import Goal as GoalModel
from goals.models import Outcome as OutcomeModel
from traceability.models import Flag as FlagModel
from traceability.models import FlagKind
from traceability.selectors import GoalRow, Headline
from traceability.trees import Rollup
from updates.health import GoalHealth as GoalHealthFigures
from vindaris.tenancy.models import Membership, Role, User
from work.models import Origin, TaskStatus
from work.models import Task as TaskModel
from work.selectors import GoalCounts

# Inputs ---------------------------------------------------------------------------------------


def _storable(text: str) -> str:
    """Text PostgreSQL can store: no NUL character, no lone surrogate."""
    if "\x00" in text:
        raise ValueError("Text cannot contain NUL characters.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ValueError("Text must be valid Unicode.") from e
    return text


Storable = AfterValidator(_storable)
Title = Annotated[str, StringConstraints(min_length=1, max_length=200), Storable]
Description = Annotated[str, StringConstraints(max_length=10_000), Storable]
Reason = Annotated[str, StringConstraints(max_length=300), Storable]
GivenReason = Annotated[str, StringConstraints(min_length=1, max_length=300), Storable]


GoalKey = Annotated[
    str, StringConstraints(pattern=r"^G-[1-9][0-9]{0,8}$"), Field(examples=["G-12"])
]
OutcomeKey = Annotated[
    str, StringConstraints(pattern=r"^O-[1-9][0-9]{0,8}$"), Field(examples=["O-3"])
]
TaskKey = Annotated[
    str, StringConstraints(pattern=r"^T-[1-9][0-9]{0,8}$"), Field(examples=["T-345"])
]
Email = Annotated[
    str,
    StringConstraints(min_length=3, max_length=254),
    Storable,
    Field(examples=["ana@acme.example"]),
]
PriorityLabel = Literal["P1", "P2", "P3", "P4"]
Points = Annotated[int, Field(ge=0, le=2_147_483_647)]
Value = Annotated[Decimal, Field(max_digits=14, decimal_places=2, allow_inf_nan=False)]

PRIORITIES: dict[str, int] = {p.label: int(p.value) for p in Priority}


CENTS = Decimal("0.01")


def amount(value: Decimal) -> str:
    """An outcome's value as the columns hold it: two decimals ("150.00")."""
    return str(Decimal(value).quantize(CENTS))


def key_number(key: str) -> int:
    """12 for "G-12" (a key the schema has already checked)."""
    return int(key.split("-", 1)[1])


def priority_label(priority: int) -> PriorityLabel:
    return Priority(priority).label  # type: ignore[return-value]  # "P1" … "P4"


_NUMBER = 987_654_321  # stands for the number in a reversed URL


@lru_cache(maxsize=4096)
def _path_template(name: str, slug: str) -> tuple[str, str]:
    """The path of page `name` of the organization, cut where its number goes (reversed once,
    not once per object of a list)."""
    before, _, after = reverse(name, args=[slug, _NUMBER]).rpartition(str(_NUMBER))
    return before, after


def _url(name: str, slug: str, number: int) -> str:
    before, after = _path_template(name, slug)
    return f"{settings.SITE_URL}{before}{number}{after}"


# Documents ------------------------------------------------------------------------------------


class Document(BaseModel):
    """What the API answers: a plain Pydantic model, built from loaded rows by the `*_out`
    functions (validated once, as it is made; the answer passes it through as it is)."""


# Members --------------------------------------------------------------------------------------


class Person(Document):
    """Someone, by their email (unique) and name."""

    email: str
    name: str


class Member(Person):
    """A member of the organization and their role."""

    role: Role


def person_out(user: User | None) -> Person | None:
    if user is None:
        return None
    return Person(email=user.email, name=user.display_name)


def member_person_out(member: Membership | None) -> Person | None:
    """Needs `member.user` loaded."""
    return None if member is None else person_out(member.user)


def member_out(member: Membership) -> Member:
    """Needs `member.user` loaded."""
    return Member(email=member.user.email, name=member.user.display_name, role=Role(member.role))


# Goals ----------------------------------------------------------------------------------------


class GoalRef(Document):
    """A goal in brief, where another object points at it."""

    key: str = Field(examples=["G-12"])
    number: int
    title: str
    status: GoalStatus
    priority: PriorityLabel


class GoalHealth(Document):
    """The goal's latest update and whether it is stale (a whole update cycle of the
    organization went by without one, for an active goal)."""

    health: Literal["on_track", "at_risk", "off_track"] | None = Field(
        description="The latest update's health; null before the first update."
    )
    update: str | None = Field(description="The latest update's key.", examples=["U-7"])
    updated_at: datetime | None
    stale: bool


def goal_health_out(health: GoalHealthFigures) -> GoalHealth:
    return GoalHealth(
        health=health.health,  # type: ignore[arg-type]  # one of Health's values, or None
        update=f"U-{health.update_number}" if health.update_number else None,
        updated_at=health.updated_at,
        stale=health.stale,
    )


class Goal(GoalRef):
    description: str
    parent: str | None = Field(description="The parent goal's key.", examples=["G-3"])
    owner: Person | None
    start_date: date | None
    end_date: date | None
    confidential: bool
    activated_at: datetime | None
    material_change_at: datetime | None = Field(
        description="The last material change: live work linked before it is suspect."
    )
    material_change: str
    created_at: datetime
    updated_at: datetime
    url: str = Field(description="The goal's page.")
    health: GoalHealth


def goal_ref_out(goal: GoalModel) -> GoalRef:
    return GoalRef(
        key=goal.key,
        number=goal.number,
        title=goal.title,
        status=GoalStatus(goal.status),
        priority=priority_label(goal.priority),
    )


def goal_out(goal: GoalModel, *, slug: str, health: GoalHealthFigures) -> Goal:
    """Needs `goal.parent` and `goal.owner.user` loaded; `health` from updates.health."""
    return Goal(**goal_fields(goal, slug=slug, health=health))


def goal_fields(goal: GoalModel, *, slug: str, health: GoalHealthFigures) -> dict[str, Any]:
    """A goal's fields as its document shows them (for Goal and the documents that extend it)."""
    return dict(
        key=goal.key,
        number=goal.number,
        title=goal.title,
        status=GoalStatus(goal.status),
        priority=priority_label(goal.priority),
        description=goal.description,
        parent=goal.parent.key if goal.parent_id and goal.parent else None,
        owner=member_person_out(goal.owner),
        start_date=goal.start_date,
        end_date=goal.end_date,
        confidential=goal.confidential,
        activated_at=goal.activated_at,
        material_change_at=goal.material_change_at,
        material_change=goal.material_change,
        created_at=goal.created_at,
        updated_at=goal.updated_at,
        url=_url("goal_detail", slug, goal.number),
        health=goal_health_out(health),
    )


class GoalWork(Document):
    """The goal's own work, as its page counts it."""

    live_tasks: int
    live_effort: int
    done_tasks: int
    done_effort: int
    done_percent: int = Field(description="Done effort over live and done effort, 0–100.")
    suspect: int = Field(description="Live tasks linked before the goal's last material change.")
    stranded: int = Field(description="Live tasks while the goal is not active, not kept.")
    kept: int = Field(description="Stranded tasks someone chose to keep, with a reason.")


class SubtreeWork(Document):
    """The goal and every sub-goal below it that the token's member may see, as the trace rolls
    them up."""

    live_tasks: int
    live_effort: int
    done_effort: int
    done_percent: int
    stranded: int
    kept: int
    suspect: int
    outcomes: int
    outcome_progress: int | None = Field(description="Mean progress of the outcomes, 0–100.")
    starved_goals: int
    starved: bool = Field(description="The goal itself is starved.")


class GoalFlags(Document):
    """Open flags raised on the goal and on its own tasks, by kind."""

    stranded: int = 0
    suspect: int = 0
    starved: int = 0


class GoalDetail(Goal):
    ancestors: list[GoalRef] = Field(description="Its parents, from the top-level goal down.")
    work: GoalWork
    subtree: SubtreeWork
    open_flags: GoalFlags
    outcomes: list["Outcome"]


def goal_work_out(counts: GoalCounts) -> GoalWork:
    return GoalWork(
        live_tasks=counts.live_tasks,
        live_effort=counts.live_effort,
        done_tasks=counts.done_tasks,
        done_effort=counts.done_effort,
        done_percent=counts.done_share,
        suspect=counts.suspect,
        stranded=counts.stranded,
        kept=counts.kept,
    )


def subtree_out(rollup: Rollup) -> SubtreeWork:
    return SubtreeWork(
        live_tasks=rollup.live_tasks,
        live_effort=rollup.live_effort,
        done_effort=rollup.done_effort,
        done_percent=rollup.done_share,
        stranded=rollup.stranded,
        kept=rollup.kept,
        suspect=rollup.suspect,
        outcomes=rollup.outcomes,
        outcome_progress=rollup.outcome_progress,
        starved_goals=rollup.starved,
        starved=rollup.is_starved,
    )


class GoalCreate(Schema):
    title: Title
    description: Description = ""
    parent: GoalKey | None = None
    owner: Email | None = Field(None, description="A member's email.")
    priority: PriorityLabel = "P2"
    status: GoalStatus = GoalStatus.DRAFT
    start_date: date | None = None
    end_date: date | None = None
    confidential: bool = False


class GoalUpdate(Schema):
    """Only the fields sent change (null empties a field that may be empty)."""

    title: Title | None = None
    description: Description | None = None
    parent: GoalKey | None = None
    owner: Email | None = None
    priority: PriorityLabel | None = None
    status: GoalStatus | None = None
    start_date: date | None = None
    end_date: date | None = None
    confidential: bool | None = None


# Outcomes and check-ins -----------------------------------------------------------------------


class OutcomeRef(Document):
    key: str = Field(examples=["O-3"])
    number: int
    title: str


class Outcome(OutcomeRef):
    goal: str = Field(examples=["G-12"])
    unit: str
    direction: Direction
    baseline: str = Field(examples=["100.00"])
    target: str
    current: str
    progress: int = Field(description="Percent of the way from baseline to target, 0–100.")
    due_date: date | None
    created_at: datetime
    updated_at: datetime


def outcome_ref_out(outcome: OutcomeModel) -> OutcomeRef:
    return OutcomeRef(key=outcome.key, number=outcome.number, title=outcome.title)


def outcome_out(outcome: OutcomeModel, *, goal_number: int) -> Outcome:
    return Outcome(**outcome_fields(outcome, goal_number=goal_number))


def outcome_fields(outcome: OutcomeModel, *, goal_number: int) -> dict[str, Any]:
    return dict(
        key=outcome.key,
        number=outcome.number,
        title=outcome.title,
        goal=f"G-{goal_number}",
        unit=outcome.unit,
        direction=Direction(outcome.direction),
        baseline=amount(outcome.baseline),
        target=amount(outcome.target),
        current=amount(outcome.current),
        progress=outcome.progress,
        due_date=outcome.due_date,
        created_at=outcome.created_at,
        updated_at=outcome.updated_at,
    )


class CheckInOut(Document):
    outcome: str = Field(examples=["O-3"])
    value: str
    previous_value: str
    note: str
    checked_on: date
    author: Person | None
    credited_tasks: list[str] = Field(examples=[["T-345"]])
    created_at: datetime


class OutcomeDetail(Outcome):
    check_ins: list[CheckInOut] = Field(description="The latest check-ins, newest first.")


def check_in_out(check_in: CheckIn, *, outcome_number: int, credited: Iterable[int]) -> CheckInOut:
    """Needs `check_in.author` loaded; `credited`: the numbers of the tasks it credits."""
    return CheckInOut(
        outcome=f"O-{outcome_number}",
        value=amount(check_in.value),
        previous_value=amount(check_in.previous_value),
        note=check_in.note,
        checked_on=check_in.checked_on,
        author=person_out(check_in.author),
        credited_tasks=[f"T-{n}" for n in sorted(credited)],
        created_at=check_in.created_at,
    )


class CheckInCreate(Schema):
    value: Value
    note: Description = ""
    checked_on: date | None = Field(None, description="The day it was true (default: today).")
    credited_tasks: list[TaskKey] = Field(
        default_factory=list,
        max_length=100,
        description="Tasks of the outcome's goal credited for the move.",
    )


# Tasks ----------------------------------------------------------------------------------------


class TaskGaps(Document):
    """The gaps the task is in now (work.gaps' rules)."""

    orphaned: bool
    stranded: bool
    kept: bool
    suspect: bool


class Task(Document):
    key: str = Field(examples=["T-345"])
    number: int
    title: str
    description: str
    status: TaskStatus
    goal: str | None = Field(examples=["G-12"])
    outcome: str | None = Field(examples=["O-3"])
    assignee: Person | None
    estimate: int = Field(description="Effort points.")
    due_date: date | None
    origin: Origin
    gaps: TaskGaps
    kept_reason: str
    link_confirmed_at: datetime
    created_at: datetime
    updated_at: datetime
    url: str = Field(description="The task's page.")


def task_out(task: TaskModel, *, slug: str) -> Task:
    """Needs `task.goal`, `task.outcome` and `task.assignee.user` loaded."""
    return Task(**task_fields(task, slug=slug))


def task_fields(task: TaskModel, *, slug: str) -> dict[str, Any]:
    return dict(
        key=task.key,
        number=task.number,
        title=task.title,
        description=task.description,
        status=TaskStatus(task.status),
        goal=task.goal.key if task.goal_id and task.goal else None,
        outcome=task.outcome.key if task.outcome_id and task.outcome else None,
        assignee=member_person_out(task.assignee),
        estimate=task.estimate,
        due_date=task.due_date,
        origin=Origin(task.origin),
        gaps=TaskGaps(
            orphaned=task.is_orphaned,
            stranded=task.is_stranded and not task.is_kept,
            kept=task.is_kept,
            suspect=task.is_suspect,
        ),
        kept_reason=task.kept_reason,
        link_confirmed_at=task.link_confirmed_at,
        created_at=task.created_at,
        updated_at=task.updated_at,
        url=_url("task_detail", slug, task.number),
    )


class Why(Document):
    """Why the task exists: the goal it serves, that goal's parents up to the top, and the
    outcome it is meant to move."""

    goal: GoalRef | None
    parents: list[GoalRef] = Field(description="From the goal's parent up to the top.")
    outcome: OutcomeRef | None


class TaskDetail(Task):
    why: Why


class TaskCreate(Schema):
    title: Title
    description: Description = ""
    outcome: OutcomeKey | None = Field(None, description="One of the goal's outcomes.")
    assignee: Email | None = Field(None, description="A member's email.")
    estimate: Points = 1
    due_date: date | None = None


class TaskCapture(Schema):
    title: Title
    description: Description = ""
    assignee: Email | None = Field(None, description="A member's email.")
    estimate: Points = 1
    due_date: date | None = None


class TaskStatusChange(Schema):
    status: TaskStatus
    reason: Reason = ""


class TaskMove(Schema):
    to_goal: GoalKey
    outcome: OutcomeKey | None = Field(None, description="One of the new goal's outcomes.")
    reason: GivenReason


class TaskConfirm(Schema):
    reason: Reason = ""


class TaskKeep(Schema):
    reason: GivenReason


# Flags and coverage ---------------------------------------------------------------------------


class Flag(Document):
    """An open gap, as the reconciler records it: on a task (orphaned, stranded, suspect) or on
    a goal (starved)."""

    kind: FlagKind
    task: str | None = Field(examples=["T-345"])
    goal: str | None = Field(examples=["G-12"])
    raised_at: datetime


def flag_out(flag: FlagModel) -> Flag:
    """Needs `flag.task` and `flag.goal` loaded."""
    return Flag(
        kind=FlagKind(flag.kind),
        task=flag.task.key if flag.task_id and flag.task else None,
        goal=flag.goal.key if flag.goal_id and flag.goal else None,
        raised_at=flag.raised_at,
    )


class Coverage(Document):
    """The organization's coverage now, over what the token's member may see."""

    live_effort: int
    linked_effort: int = Field(description="Live effort on active goals.")
    linked_ratio: float | None = Field(description="linked_effort / live_effort, 0–1.")
    orphaned: int
    stranded: int
    kept: int
    suspect: int
    starved: int


def coverage_out(headline: Headline) -> Coverage:
    return Coverage(
        live_effort=headline.live_effort,
        linked_effort=headline.linked_effort,
        linked_ratio=headline.linked_ratio,
        orphaned=headline.orphaned,
        stranded=headline.stranded,
        kept=headline.kept,
        suspect=headline.suspect,
        starved=headline.starved,
    )


class GoalCoverage(Document):
    """One active goal's figures on the coverage dashboard: the live work of its subtree
    against its priority, among its active siblings."""

    goal: str = Field(examples=["G-12"])
    title: str
    priority: PriorityLabel
    parent: str | None
    depth: int
    owner: str = Field(description="The owner's name, empty without one.")
    live_tasks: int = Field(description="In its subtree, on active goals.")
    live_effort: int = Field(description="In its subtree, on active goals.")
    own_live_effort: int
    done_effort: int
    done_percent: int | None
    share: float | None = Field(description="Its share of its siblings' live effort, 0–1.")
    implied_share: float | None = Field(description="The share its priority implies, 0–1.")
    funding: Literal["over", "under", ""]
    suspect: int
    starved: bool
    outcome_progress: int | None
    last_activity: datetime | None


def goal_coverage_out(row: GoalRow) -> GoalCoverage:
    return GoalCoverage(
        goal=row.key,
        title=row.title,
        priority=priority_label(row.priority),
        parent=row.parent_key or None,
        depth=row.depth,
        owner=row.owner_name,
        live_tasks=row.live_tasks,
        live_effort=row.live_effort,
        own_live_effort=row.own_effort,
        done_effort=row.done_effort,
        done_percent=row.done_percent,
        share=row.funding.share,
        implied_share=row.funding.implied,
        funding=row.funding.verdict,  # type: ignore[arg-type]  # "over", "under" or ""
        suspect=row.suspect,
        starved=row.is_starved,
        outcome_progress=row.progress_percent,
        last_activity=row.last_activity,
    )


# Pages ----------------------------------------------------------------------------------------


class _Page(Document):
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


class GoalPage(_Page):
    items: list[Goal]


class OutcomeList(Document):
    items: list[Outcome]


class TaskPage(_Page):
    items: list[Task]


class FlagPage(_Page):
    items: list[Flag]


class GoalCoveragePage(_Page):
    items: list[GoalCoverage]


class MemberPage(_Page):
    items: list[Member]


# Problems -------------------------------------------------------------------------------------


class FieldError(Document):
    field: str = Field(description="The body field or query parameter, e.g. `title`.")
    message: str


class Problem(Document):
    """RFC 9457 problem details (`application/problem+json`)."""

    type: str = Field(examples=["urn:vindaris:problem:not-found"])
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = Field(
        None, description="What was wrong with which field (400 and 422)."
    )


GoalDetail.model_rebuild()
