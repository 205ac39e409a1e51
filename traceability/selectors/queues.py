"""The triage queues a lead works through: orphaned, stranded and suspect tasks, starved goals,
the "what should we stop?" list, their exports, and the goal picker's search."""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from django.db.models import BooleanField, Case, Count, Q, QuerySet, Sum, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from goals import visibility as goal_visibility
from goals.models import Goal, GoalStatus
from vindaris.tenancy.models import Membership, Organization
from work import gaps
from work.models import Task

from .coverage import Headline, OverFunded, Overview

TASK = Task._meta.db_table

# The queues a lead triages. Tasks are listed while they match the queue's condition; the
# stranded queue lists kept tasks too, apart from the open ones. "stop" is the list of live
# work the dashboard suggests stopping.
TASK_QUEUES: dict[str, Q] = {
    "orphaned": gaps.ORPHANED,
    "stranded": gaps.STRANDED,
    "suspect": gaps.SUSPECT,
    "stop": gaps.LIVE,
}
# The stranded queue's open tasks: stranded and not kept.
OPEN_STRANDED = gaps.STRANDED_OPEN
QUEUE_PAGE_SIZE = 50


@dataclass(frozen=True)
class StopItem:
    """A live task the dashboard suggests stopping: its goal is stranded, or it lies in the
    subtree of `over`, a low-priority goal over-funded among its siblings."""

    task: Task
    over: OverFunded | None

    @property
    def stranded(self) -> bool:
        return self.over is None

    @property
    def why(self) -> str:
        """The reason in words (the CSV export's "Why")."""
        goal = cast(Goal, self.task.goal)
        if self.over is None:
            return f"{goal.key} is {goal.get_status_display().lower()}"
        f = self.over.funding
        under = "" if self.over.number == goal.number else f" (under {self.over.key})"
        return (
            f"over-funded{under}: {self.over.key} gets {f.share_label} of its siblings' live "
            f"effort, its priority implies {f.implied_label}"
        )


def _stop_cursor(value: str) -> tuple[int, int] | None:
    """The cursor "<estimate>-<number>" of the stop list's next page, or None."""
    estimate, _, number = (value or "").partition("-")
    if not (estimate.isdigit() and number.isdigit()):
        return None
    return int(estimate), int(number)


def _stop_queryset(goal_ids: Iterable[int], organization: Organization) -> QuerySet[Task]:
    """Live work on the goals to stop that is not kept: on an active goal all of it; on one
    that is not, the open stranded work."""
    # The goals as a list of ids, not a subquery: PostgreSQL then estimates how much of the live
    # work they hold, and walks the live work largest effort first (task_live_effort_idx) when
    # it is much, or reads the few goals' tasks and sorts them when it is little.
    # One text parameter rather than an array: a thousand ids bound one by one cost more
    # than the query (string_to_array is folded into a constant when planning).
    in_stop_goals = RawSQL(  # noqa: S611 - constant SQL, the ids a parameter
        f"{TASK}.goal_id = ANY(string_to_array(%s, ',')::bigint[])",
        (",".join(map(str, goal_ids)),),
        output_field=BooleanField(),
    )
    return (
        Task.objects.filter(gaps.LIVE, in_stop_goals, organization=organization)
        .exclude(gaps.KEPT)
        .select_related("goal", "assignee__user")
    )


def _stop_item(task: Task, stop_goals: dict[int, OverFunded | None]) -> StopItem:
    return StopItem(task=task, over=stop_goals.get(cast(int, task.goal_id)))


def stop_candidates(
    *,
    organization: Organization,
    overview: Overview,
    limit: int = QUEUE_PAGE_SIZE,
    after: str = "",
) -> tuple[list[StopItem], str]:
    """Live work on the goals to stop of `overview` (those of one member: stranded goals'
    open work, not kept, and the live work under low-priority goals over-funded among their
    siblings), largest effort first,
    keyset-paginated on (estimate, number); and the cursor of the next page ("" at the end).
    Goal and assignee loaded; one query."""
    qs = _stop_queryset(overview.stop_goals, organization)
    cursor = _stop_cursor(after)
    if cursor is not None:
        estimate, number = cursor
        qs = qs.filter(Q(estimate__lt=estimate) | Q(estimate=estimate, number__lt=number))
    page = list(qs.order_by("-estimate", "-number")[: limit + 1])
    next_after = f"{page[limit - 1].estimate}-{page[limit - 1].number}" if len(page) > limit else ""
    items = [_stop_item(t, overview.stop_goals) for t in page[:limit]]
    return items, next_after


@dataclass(frozen=True)
class StopSummary:
    """What the dashboard suggests stopping, in figures: the live tasks and their effort, and
    the over-funded low-priority goals named as the reason (topmost first by priority)."""

    tasks: int
    effort: int
    over: list[OverFunded]


def stop_summary(*, organization: Organization, overview: Overview) -> StopSummary:
    """The stop list of `overview` counted (one query), with its over-funded goals."""
    totals = _stop_queryset(overview.stop_goals, organization).aggregate(
        tasks=Count("pk"), effort=Coalesce(Sum("estimate"), 0)
    )
    over = {o.number: o for o in overview.stop_goals.values() if o is not None}
    return StopSummary(
        tasks=totals["tasks"],
        effort=totals["effort"],
        over=sorted(over.values(), key=lambda o: (o.priority, o.number)),
    )


def stop_candidates_export(*, organization: Organization, overview: Overview) -> Iterator[StopItem]:
    """Every stop candidate of `overview`, largest effort first, streamed in chunks."""
    qs = _stop_queryset(overview.stop_goals, organization).order_by("-estimate", "-number")
    return (_stop_item(t, overview.stop_goals) for t in qs.iterator(chunk_size=500))


def _tasks_seen_by(organization: Organization, viewer: Membership | None) -> QuerySet[Task]:
    """The organization's tasks `viewer` may see (work without a goal is seen by everyone)."""
    return Task.objects.filter(goal_visibility.visible_q(viewer, "goal"), organization=organization)


def _with_kept(qs: QuerySet[Task]) -> QuerySet[Task]:
    """Each task carries `kept`: stranded work someone chose to keep (work.gaps.KEPT)."""
    return qs.annotate(
        kept=Case(
            When(gaps.KEPT, then=Value(True)), default=Value(False), output_field=BooleanField()
        )
    )


def queue_tasks(
    *,
    organization: Organization,
    viewer: Membership | None,
    kind: str,
    kept: bool = False,
    before: int | None = None,
    imported: int | None = None,
) -> tuple[list[Task], int | None]:
    """One page of a task queue (orphaned, stranded or suspect) as `viewer` may see it, newest
    first, keyset-paginated on the task number; the stranded queue's open tasks, or its kept
    ones with `kept` (each task carries `.kept`); only the work import I-`imported` created,
    when given. Returns the page and the next page's cursor (or None). Goal and assignee
    loaded; one query."""
    condition = TASK_QUEUES[kind]
    if kind == "stranded":
        condition = gaps.KEPT if kept else OPEN_STRANDED
    qs = _tasks_seen_by(organization, viewer).filter(condition)
    if imported is not None:
        qs = qs.filter(import_run__number=imported)
    if before is not None:
        qs = qs.filter(number__lt=before)
    page: list[Any] = list(
        qs.annotate(kept=Value(kept and kind == "stranded", output_field=BooleanField()))
        .select_related("goal", "assignee__user")
        .order_by("-number")[: QUEUE_PAGE_SIZE + 1]
    )
    next_before = page[QUEUE_PAGE_SIZE - 1].number if len(page) > QUEUE_PAGE_SIZE else None
    return page[:QUEUE_PAGE_SIZE], next_before


def _starved_cursor(value: str) -> tuple[int, int] | None:
    priority, _, number = (value or "").partition("-")
    if not (priority.isdigit() and number.isdigit()):
        return None
    return int(priority), int(number)


def starved_goals(
    *, organization: Organization, headline: Headline, after: str = ""
) -> tuple[list[Goal], str]:
    """One page of the starved goals (those of `headline`, which are those its member may see),
    highest priority first, keyset-paginated on (priority, number); and the next page's cursor
    ("" at the end). Owner and parent loaded; one query."""
    qs = Goal.objects.filter(organization=organization, pk__in=sorted(headline.starved_ids))
    cursor = _starved_cursor(after)
    if cursor is not None:
        priority, number = cursor
        qs = qs.filter(Q(priority__gt=priority) | Q(priority=priority, number__gt=number))
    page = list(
        qs.select_related("owner__user", "parent").order_by("priority", "number")[
            : QUEUE_PAGE_SIZE + 1
        ]
    )
    last = page[QUEUE_PAGE_SIZE - 1] if len(page) > QUEUE_PAGE_SIZE else None
    return page[:QUEUE_PAGE_SIZE], f"{last.priority}-{last.number}" if last else ""


def queue_membership(
    *, organization: Organization, viewer: Membership | None, kind: str, numbers: Iterable[int]
) -> dict[int, bool]:
    """Which of these tasks `viewer` may see are in the task queue `kind` now: {number: kept}
    (kept is only ever true in the stranded queue). One query."""
    rows = _with_kept(
        _tasks_seen_by(organization, viewer)
        .filter(number__in=list(numbers))
        .filter(TASK_QUEUES[kind])
    ).values_list("number", "kept")  # type: ignore[misc]  # "kept" is _with_kept's annotation, which the plugin does not follow
    return {number: kept and kind == "stranded" for number, kept in rows}


def queue_tasks_by_number(
    *, organization: Organization, viewer: Membership | None, numbers: Iterable[int]
) -> list[Task]:
    """The tasks with these numbers that `viewer` may see, newest first; goal and assignee
    loaded."""
    return list(
        _tasks_seen_by(organization, viewer)
        .filter(number__in=list(numbers))
        .select_related("goal", "assignee__user")
        .order_by("-number")
    )


def queue_export_tasks(
    *, organization: Organization, viewer: Membership | None, kind: str
) -> Iterator[Task]:
    """Every task of a task queue that `viewer` may see, oldest first, streamed in chunks; each
    carries `kept` (the stranded queue lists kept tasks too). Goal and assignee loaded."""
    return (
        _with_kept(_tasks_seen_by(organization, viewer).filter(TASK_QUEUES[kind]))
        .select_related("goal", "assignee__user")
        .order_by("number")
        .iterator(chunk_size=500)
    )


def queue_export_starved(*, organization: Organization, headline: Headline) -> Iterator[Goal]:
    """Every starved goal of `headline` (those its member may see), highest priority first,
    streamed; owner and parent loaded."""
    return (
        Goal.objects.filter(organization=organization, pk__in=sorted(headline.starved_ids))
        .select_related("owner__user", "parent")
        .order_by("priority", "number")
        .iterator(chunk_size=500)
    )


GOAL_KEY = re.compile(r"^\s*(?:g-?)?(\d{1,9})\s*$", re.IGNORECASE)
GOAL_PICKER_SIZE = 50


def active_goal_search(
    *,
    organization: Organization,
    viewer: Membership | None,
    q: str = "",
    limit: int = GOAL_PICKER_SIZE,
) -> tuple[list[Goal], bool]:
    """Active goals `viewer` may see whose title contains `q` or whose key is `q` ("G-12",
    "12"), highest priority first, at most `limit`; and whether more match. One query."""
    goals = Goal.objects.filter(
        goal_visibility.visible_q(viewer), organization=organization, status=GoalStatus.ACTIVE
    )
    q = (q or "").strip()
    if q:
        match = GOAL_KEY.match(q)
        condition = Q(title__icontains=q)
        if match:
            condition |= Q(number=int(match.group(1)))
        goals = goals.filter(condition)
    found = list(goals.order_by("priority", "number")[: limit + 1])
    return found[:limit], len(found) > limit
