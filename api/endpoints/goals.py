"""Goals, their outcomes and check-ins: /api/v1/o/<slug>/goals/…, /outcomes/…

Reads use the goal page's and the trace's selectors; writes go through goals.services (and
work.services for check-ins crediting tasks), so a material change marks the goal's links
suspect exactly as an edit on the goal's page does."""

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from goals import selectors as goal_selectors
from goals import services as goal_services
from goals.models import Goal, GoalStatus
from goals.visibility import can_change, can_share
from traceability import trees
from updates import health as updates_health
from updates.health import NO_HEALTH
from vindaris.tenancy.models import Role
from work import selectors as work_selectors
from work import services as work_services

from .. import lookups, paging, problems, schemas, selectors
from ..access import Actor, require
from ..lookups import Number, OrgSlug

router = Router(tags=["goals"])


class GoalFilters(Schema):
    status: GoalStatus | None = None
    owner: schemas.Email | None = Field(None, description="The owner's email.")
    parent: schemas.GoalKey | None = Field(None, description="Sub-goals of this goal.")
    top_level: bool = Field(False, description="Only goals without a parent.")
    priority: schemas.PriorityLabel | None = None
    cursor: paging.Cursor = None
    limit: paging.Limit = paging.DEFAULT_LIMIT


def goal_detail(actor: Actor, goal: Goal) -> schemas.GoalDetail:
    """The goal with its parents, its own work (the goal page's counts), its subtree's roll-up
    (the trace's), its open flags, its outcomes and its health. Six queries."""
    counts = work_selectors.goal_counts(goal=goal)
    rollup = trees.goal_rollups(
        organization=actor.organization,
        membership=actor.membership,
        goals=[goal],
        now=timezone.now(),
    ).get(goal.pk, trees.Rollup())
    outcomes = goal_selectors.outcomes_of(goal=goal)
    flags = selectors.goal_open_flags(organization=actor.organization, goal=goal)
    health = updates_health.of_goals(
        organization=actor.organization, goal_ids=[goal.pk], now=timezone.now()
    )
    return schemas.GoalDetail(
        **schemas.goal_fields(
            goal, slug=actor.organization.slug, health=health.get(goal.pk, NO_HEALTH)
        ),
        ancestors=[schemas.goal_ref_out(g) for g in goal_selectors.ancestors(goal=goal)],
        work=schemas.goal_work_out(counts),
        subtree=schemas.subtree_out(rollup),
        open_flags=schemas.GoalFlags(**flags),
        outcomes=[schemas.outcome_out(o, goal_number=goal.number) for o in outcomes],
    )


@router.get("/goals/", response=schemas.GoalPage, summary="List goals")
def list_goals(request: HttpRequest, org_slug: OrgSlug, filters: Query[GoalFilters]) -> Any:
    """The goals the token's member may see, by number, filtered by status, owner, parent and
    priority."""
    actor = require(request)
    after = paging.decode(filters.cursor, "goals")
    rows = selectors.goals_page(
        organization=actor.organization,
        viewer=actor.membership,
        after=after,
        limit=filters.limit,
        status=filters.status or "",
        owner=lookups.member_named(actor, filters.owner, "owner") if filters.owner else None,
        parent=lookups.goal_named(actor, filters.parent, "parent") if filters.parent else None,
        top_level=filters.top_level,
        priority=schemas.PRIORITIES[filters.priority] if filters.priority else None,
    )
    items, cursor = paging.page(rows, filters.limit, "goals", lambda g: g.number)
    slug = actor.organization.slug
    health = updates_health.of_goals(
        organization=actor.organization, goal_ids=[g.pk for g in items], now=timezone.now()
    )
    return {
        "items": [
            schemas.goal_out(g, slug=slug, health=health.get(g.pk, NO_HEALTH)) for g in items
        ],
        "next_cursor": cursor,
    }


@router.post("/goals/", response={201: schemas.GoalDetail}, summary="Create a goal")
def create_goal(request: HttpRequest, org_slug: OrgSlug, payload: schemas.GoalCreate) -> Any:
    """A new goal (leads and admins, as on the goal pages)."""
    actor = require(request, role=Role.LEAD, write=True)
    try:
        goal = goal_services.goal_create(
            organization=actor.organization,
            actor=actor.user,
            title=payload.title,
            description=payload.description,
            parent=lookups.goal_named(actor, payload.parent, "parent") if payload.parent else None,
            owner=lookups.member_named(actor, payload.owner, "owner") if payload.owner else None,
            priority=schemas.PRIORITIES[payload.priority],
            status=payload.status,
            start_date=payload.start_date,
            end_date=payload.end_date,
            confidential=payload.confidential,
        )
    except ValidationError as e:
        raise problems.from_service_error(e) from e
    return Status(201, goal_detail(actor, lookups.goal_or_404(actor, goal.number)))


@router.get("/goals/{goal_number}/", response=schemas.GoalDetail, summary="A goal")
def get_goal(request: HttpRequest, org_slug: OrgSlug, goal_number: Number) -> Any:
    """The goal with its parents, its own work, its subtree's figures, its open flags and its
    outcomes."""
    actor = require(request)
    return goal_detail(actor, lookups.goal_or_404(actor, goal_number))


# Fields that only those who share the goal change (its owner and who may see it).
SHARER_FIELDS = ("owner", "confidential")
NOT_EMPTY = ("title", "priority", "status", "confidential")


def _goal_changes(actor: Actor, goal: Goal, sent: dict[str, Any]) -> dict[str, Any]:
    """The fields sent, as goals.services.goal_update takes them, that differ from the goal's."""
    changes: dict[str, Any] = {}
    for field, value in sent.items():
        if value is None and field in NOT_EMPTY:
            raise problems.field_error(field, f"{field} cannot be empty.")
        if field == "parent":
            value = lookups.goal_named(actor, value, "parent") if value else None
        elif field == "owner":
            value = lookups.member_named(actor, value, "owner") if value else None
        elif field == "priority":
            value = schemas.PRIORITIES[value]
        elif field == "description" and value is None:
            value = ""
        if getattr(goal, field) != value:
            changes[field] = value
    return changes


@router.patch("/goals/{goal_number}/", response=schemas.GoalDetail, summary="Change a goal")
def update_goal(
    request: HttpRequest, org_slug: OrgSlug, payload: schemas.GoalUpdate, goal_number: Number
) -> Any:
    """Change the fields sent (those who may edit the goal: its owner, its editors, leads and
    admins). A material change (priority lowered, status or title changed) makes the goal's
    live work suspect, as on the goal's page."""
    actor = require(request, write=True)
    goal = lookups.goal_or_404(actor, goal_number)
    if not can_change(goal, actor.membership):
        raise problems.forbidden("Only the goal's owner, its editors, leads and admins edit it.")
    changes = _goal_changes(actor, goal, payload.model_dump(exclude_unset=True))
    if any(f in changes for f in SHARER_FIELDS) and not can_share(goal, actor.membership):
        raise problems.forbidden(
            "Only admins, leads and the goal's owner change its owner or its confidentiality."
        )
    if changes:
        try:
            goal_services.goal_update(
                organization=actor.organization, actor=actor.user, goal=goal, **changes
            )
        except ValidationError as e:
            raise problems.from_service_error(e) from e
    return goal_detail(actor, lookups.goal_or_404(actor, goal_number))


# Outcomes and check-ins -----------------------------------------------------------------------


@router.get(
    "/goals/{goal_number}/outcomes/", response=schemas.OutcomeList, summary="A goal's outcomes"
)
def list_outcomes(request: HttpRequest, org_slug: OrgSlug, goal_number: Number) -> Any:
    """Every outcome of the goal, by number."""
    actor = require(request)
    goal = lookups.goal_or_404(actor, goal_number)
    outcomes = goal_selectors.outcomes_of(goal=goal)
    return {"items": [schemas.outcome_out(o, goal_number=goal.number) for o in outcomes]}


CHECK_INS_SHOWN = 20


@router.get("/outcomes/{outcome_number}/", response=schemas.OutcomeDetail, summary="An outcome")
def get_outcome(request: HttpRequest, org_slug: OrgSlug, outcome_number: Number) -> Any:
    """The outcome with its latest check-ins."""
    actor = require(request)
    outcome = lookups.outcome_or_404(actor, outcome_number)
    check_ins = selectors.check_ins_with_credits(outcome=outcome, limit=CHECK_INS_SHOWN)
    return schemas.OutcomeDetail(
        **schemas.outcome_fields(outcome, goal_number=outcome.goal.number),
        check_ins=[
            schemas.check_in_out(c, outcome_number=outcome.number, credited=credited)
            for c, credited in check_ins
        ],
    )


@router.post(
    "/outcomes/{outcome_number}/check-ins/",
    response={201: schemas.CheckInOut},
    summary="Check in an outcome",
)
def create_check_in(
    request: HttpRequest,
    org_slug: OrgSlug,
    payload: schemas.CheckInCreate,
    outcome_number: Number,
) -> Any:
    """Record the outcome's new value (planners and above), crediting tasks of its goal for
    the move."""
    actor = require(request, role=Role.PLANNER, write=True)
    outcome = lookups.outcome_or_404(actor, outcome_number)
    tasks = lookups.credited_tasks(outcome.goal, payload.credited_tasks)
    checked_on: date | None = payload.checked_on
    try:
        check_in = work_services.check_in_record(
            organization=actor.organization,
            actor=actor.user,
            outcome=outcome,
            value=payload.value,
            note=payload.note,
            checked_on=checked_on,
            credited_tasks=tasks,
        )
    except ValidationError as e:
        raise problems.from_service_error(e) from e
    check_in.author = actor.user
    body = schemas.check_in_out(
        check_in, outcome_number=outcome.number, credited=[t.number for t in tasks]
    )
    return Status(201, body)
