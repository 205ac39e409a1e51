"""Organizations live in their own timezone: their day (snapshots) and week (digest)."""

import zoneinfo
from datetime import date, datetime, timedelta

from django.utils import timezone

from vindaris.tenancy.models import Organization

UTC = zoneinfo.ZoneInfo("UTC")


def organization_tz(organization: Organization) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(organization.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return UTC


def local_now(organization: Organization, moment: datetime) -> datetime:
    return timezone.localtime(moment, organization_tz(organization))


def local_date(organization: Organization, moment: datetime) -> date:
    """The organization's calendar date at `moment`."""
    return local_now(organization, moment).date()


def week_of(organization: Organization, moment: datetime) -> date:
    """Monday of the organization's ISO week at `moment`: the digest's week."""
    today = local_date(organization, moment)
    return today - timedelta(days=today.weekday())
