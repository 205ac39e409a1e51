"""Shared by the commands: the organizations to act on (all, or the one given by --org)."""

from django.core.management.base import CommandError
from django.db.models import QuerySet

from vindaris.tenancy.models import Organization


def organizations(slug: str | None) -> QuerySet[Organization]:
    qs = Organization.objects.order_by("slug")
    if slug:
        qs = qs.filter(slug=slug)
        if not qs.exists():
            raise CommandError(f"No organization with slug {slug!r}.")
    return qs
