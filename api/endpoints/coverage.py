"""Coverage and the organization: /api/v1/o/<slug>/coverage/…, /members/

The coverage dashboard's figures (traceability.selectors: the headline, the goals table with
the funding rule, the open flags), over what the token's member may see."""

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from traceability import selectors as trace_selectors
from traceability.models import FlagKind

from .. import paging, schemas, selectors
from ..access import require
from ..lookups import OrgSlug

router = Router(tags=["coverage"])


@router.get("/coverage/", response=schemas.Coverage, summary="Coverage now")
def get_coverage(request: HttpRequest, org_slug: OrgSlug) -> Any:
    """The linked ratio (live effort on active goals over all live effort) and the count of
    each gap, as the coverage dashboard's headline shows them."""
    actor = require(request)
    headline = trace_selectors.coverage_headline(
        organization=actor.organization, viewer=actor.membership, now=timezone.now()
    )
    return schemas.coverage_out(headline)


class PageQuery(Schema):
    cursor: paging.Cursor = None
    limit: paging.Limit = paging.DEFAULT_LIMIT


@router.get("/coverage/goals/", response=schemas.GoalCoveragePage, summary="Per-goal coverage")
def list_goal_coverage(request: HttpRequest, org_slug: OrgSlug, query: Query[PageQuery]) -> Any:
    """Each active goal's figures, in the goal tree's order (each goal after its parent,
    siblings by priority then number): the live work of its subtree, its share of its siblings'
    against the share its priority implies, its own done work, progress and gaps."""
    actor = require(request)
    number = paging.decode(query.cursor, "coverage-goals") or 1
    overview = trace_selectors.coverage_overview(
        organization=actor.organization,
        viewer=actor.membership,
        now=timezone.now(),
        table=trace_selectors.GoalTableQuery(sort="goal", page=number, per_page=query.limit),
    )
    table = overview.table
    if table is None or table.number != number:  # past the last page
        return {"items": [], "next_cursor": None}
    cursor = paging.encode("coverage-goals", number + 1) if table.has_next else None
    return {"items": [schemas.goal_coverage_out(r) for r in table.rows], "next_cursor": cursor}


class FlagQuery(PageQuery):
    kind: FlagKind | None = Field(None, description="Only flags of this kind.")


@router.get("/coverage/flags/", response=schemas.FlagPage, summary="Open flags")
def list_flags(request: HttpRequest, org_slug: OrgSlug, query: Query[FlagQuery]) -> Any:
    """The open flags on what the token's member may see, oldest record first."""
    actor = require(request)
    rows = selectors.flags_page(
        organization=actor.organization,
        viewer=actor.membership,
        after=paging.decode(query.cursor, "flags"),
        limit=query.limit,
        kind=query.kind or "",
    )
    items, cursor = paging.page(rows, query.limit, "flags", lambda f: f.pk)
    return {"items": [schemas.flag_out(f) for f in items], "next_cursor": cursor}


members_router = Router(tags=["members"])


@members_router.get("/members/", response=schemas.MemberPage, summary="Members")
def list_members(request: HttpRequest, org_slug: OrgSlug, query: Query[PageQuery]) -> Any:
    """The organization's members and their roles, in the order they joined."""
    actor = require(request)
    rows = selectors.members_page(
        organization=actor.organization,
        after=paging.decode(query.cursor, "members"),
        limit=query.limit,
    )
    items, cursor = paging.page(rows, query.limit, "members", lambda m: m.pk)
    return {"items": [schemas.member_out(m) for m in items], "next_cursor": cursor}
