from django.db.models import QuerySet
from django.http import Http404

from goals.models import Goal, GoalStatus
from goals.visibility import visible_q
from vindaris.tenancy.models import Membership, Organization

from .models import ImportRun

RECENT = 20


def recent_imports(*, organization: Organization) -> QuerySet[ImportRun]:
    """The organization's latest imports, newest first (one query, a page of RECENT)."""
    return (
        ImportRun.objects.filter(organization=organization)
        .select_related("created_by")
        .defer("plan", "mapping", "result")
        .order_by("-number")[:RECENT]
    )


def import_by_number(*, organization: Organization, number: int) -> ImportRun:
    run = (
        ImportRun.objects.filter(organization=organization, number=number)
        .select_related("created_by", "applied_by")
        .first()
    )
    if run is None:
        raise Http404("No such import.")
    return run


def mapping_goals(*, organization: Organization, viewer: Membership) -> list[tuple[int, str]]:
    """The goals work can be mapped to: those the member sees that are not closed (achieved or
    abandoned), by number."""
    return list(
        Goal.objects.filter(organization=organization)
        .filter(visible_q(viewer))
        .exclude(status__in=(GoalStatus.ACHIEVED, GoalStatus.ABANDONED))
        .order_by("number")
        .values_list("number", "title")
    )


def mapping_members(*, organization: Organization) -> list[tuple[int, str]]:
    """Every member, as "Name <email>", by name."""
    rows = (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .order_by("user__name", "user__email")
    )
    return [(m.pk, f"{m.user.display_name} <{m.user.email}>") for m in rows]
