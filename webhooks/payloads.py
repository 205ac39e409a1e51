"""What a delivery's body says: the event, and the object as the API shows it (api.schemas).

Objects are read when the dispatcher turns events into deliveries (seconds after the change),
a batch of events at a time with one query per kind of object, and the body is kept with the
delivery: every attempt and every redelivery sends the same bytes. An event whose object is
gone by then (a task deleted with its goal) has no delivery."""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from api import schemas
from goals import visibility
from goals.models import CheckIn, Goal
from traceability.models import Flag
from updates import health as updates_health
from vindaris.lib import events
from vindaris.tenancy.models import Membership, Organization
from work.models import CheckInCredit, Task

from .models import Event

TASK_TYPES = {events.TASK_CREATED, events.TASK_UPDATED, events.TASK_MOVED}
FLAG_TYPES = {events.FLAG_RAISED, events.FLAG_RESOLVED}


class FlagEvent(schemas.Flag):
    """A flag as the API lists it, and how it was resolved (flag.resolved)."""

    resolved_at: datetime | None
    resolution: str


@dataclass(frozen=True)
class Rendered:
    """An event's object as the API shows it, and the goal whose visibility it follows (None:
    work without a goal, seen by every member)."""

    data: dict[str, Any]
    goal_id: int | None


def _family(event_type: str) -> str:
    if event_type in TASK_TYPES:
        return "task"
    if event_type in FLAG_TYPES:
        return "flag"
    return {events.GOAL_UPDATED: "goal", events.CHECK_IN_CREATED: "check_in"}[event_type]


def render_objects(
    organization: Organization, batch: Iterable[Event]
) -> dict[tuple[str, int], Rendered]:
    """The objects the events name, by (family, id): one query per kind of object named."""
    wanted: dict[str, set[int]] = {}
    for event in batch:
        wanted.setdefault(_family(event.type), set()).add(event.object_id)
    slug = organization.slug
    out: dict[tuple[str, int], Rendered] = {}
    if ids := wanted.get("task"):
        for task in Task.objects.filter(organization=organization, pk__in=ids).select_related(
            "goal", "outcome", "assignee__user"
        ):
            data = schemas.task_out(task, slug=slug).model_dump(mode="json")
            out["task", task.pk] = Rendered(data, task.goal_id)
    if ids := wanted.get("goal"):
        health = updates_health.of_goals(
            organization=organization, goal_ids=ids, now=timezone.now()
        )
        for goal in Goal.objects.filter(organization=organization, pk__in=ids).select_related(
            "parent", "owner__user"
        ):
            figures = health.get(goal.pk, updates_health.NO_HEALTH)
            data = schemas.goal_out(goal, slug=slug, health=figures).model_dump(mode="json")
            out["goal", goal.pk] = Rendered(data, goal.pk)
    if ids := wanted.get("check_in"):
        credited: dict[int, list[int]] = {i: [] for i in ids}
        for check_in_id, number in CheckInCredit.objects.filter(
            organization=organization, check_in_id__in=ids
        ).values_list("check_in_id", "task__number"):
            credited[check_in_id].append(number)
        for check_in in CheckIn.objects.filter(
            organization=organization, pk__in=ids
        ).select_related("outcome", "author"):
            data = schemas.check_in_out(
                check_in, outcome_number=check_in.outcome.number, credited=credited[check_in.pk]
            ).model_dump(mode="json")
            out["check_in", check_in.pk] = Rendered(data, check_in.outcome.goal_id)
    if ids := wanted.get("flag"):
        for flag in Flag.objects.filter(organization=organization, pk__in=ids).select_related(
            "task", "goal"
        ):
            base = schemas.flag_out(flag)
            data = FlagEvent(
                **base.model_dump(), resolved_at=flag.resolved_at, resolution=flag.resolution
            ).model_dump(mode="json")
            goal_id = flag.goal_id if flag.goal_id else (flag.task.goal_id if flag.task else None)
            out["flag", flag.pk] = Rendered(data, goal_id)
    return out


def rendered_for(objects: dict[tuple[str, int], Rendered], event: Event) -> Rendered | None:
    return objects.get((_family(event.type), event.object_id))


def hidden_goal_ids(member: Membership) -> frozenset[int]:
    """The goals the endpoint's member may not see (goals.visibility): none for admins."""
    hidden = visibility.hidden_goals_sql(member)
    if hidden is None:
        return frozenset()
    sql, params = hidden
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return frozenset(row[0] for row in cursor.fetchall())


def body(organization: Organization, event: Event, data: dict[str, Any]) -> str:
    """The delivery's JSON body, compact, in a fixed key order."""
    return json.dumps(
        {
            "id": str(event.event_id),
            "type": event.type,
            "created_at": event.occurred_at.isoformat().replace("+00:00", "Z"),
            "organization": organization.slug,
            "data": data,
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )
