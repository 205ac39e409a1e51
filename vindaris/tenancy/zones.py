"""Time as the organization lives it: its zone and a member's own, its day and its week.

Organization-wide facts are counted in the organization's zone: the snapshot's day, the digest's
week, the starved goal's grace period. What a page shows is in the viewer's zone: the member's
own if they chose one, else the organization's; `org_view` activates it for the request, so the
template filters, `timezone.localtime()` and `timezone.localdate()` follow it.
"""

import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils import timezone

if TYPE_CHECKING:
    from .models import Membership, Organization

UTC = zoneinfo.ZoneInfo("UTC")

# Every IANA name the system knows, but "localtime": that names the server's zone, not a place.
ZONE_NAMES: tuple[str, ...] = tuple(sorted(zoneinfo.available_timezones() - {"localtime"}))
_KNOWN = frozenset(ZONE_NAMES)


def is_zone(name: str) -> bool:
    return name in _KNOWN


def validate_zone(name: str) -> None:
    """A model and form validator: `name` is one of ZONE_NAMES."""
    if not is_zone(name):
        raise ValidationError(
            "%(name)s is not a time zone. Choose one from the list, such as Europe/Paris.",
            code="invalid_zone",
            params={"name": name[:64]},
        )


def validate_zone_or_blank(name: str) -> None:
    """As validate_zone, with blank meaning "the organization's zone"."""
    if name:
        validate_zone(name)


def zone(name: str) -> zoneinfo.ZoneInfo:
    """The zone named `name`; UTC for a blank or unknown name (a row written before the names
    were validated, or a zone the system no longer knows), never an error on a page."""
    if not is_zone(name):
        return UTC
    return zoneinfo.ZoneInfo(name)


def organization_tz(organization: "Organization") -> zoneinfo.ZoneInfo:
    return zone(organization.timezone)


def member_tz(membership: "Membership") -> zoneinfo.ZoneInfo:
    """The zone a member reads times in: their own if set, else their organization's."""
    return zone(membership.timezone or membership.organization.timezone)


@contextmanager
def viewing_in(tz: zoneinfo.ZoneInfo) -> Iterator[None]:
    """Show times in `tz` for the duration (the previous zone comes back afterwards)."""
    with timezone.override(tz):
        yield


def local_now(organization: "Organization", moment: datetime) -> datetime:
    """`moment` on the organization's clock."""
    return timezone.localtime(moment, organization_tz(organization))


def local_date(organization: "Organization", moment: datetime) -> date:
    """The organization's calendar date at `moment`: the snapshot's day."""
    return local_now(organization, moment).date()


def week_of(organization: "Organization", moment: datetime) -> date:
    """Monday of the organization's ISO week at `moment`: the digest's week."""
    today = local_date(organization, moment)
    return today - timedelta(days=today.weekday())


def days_before(organization: "Organization", moment: datetime, days: int) -> datetime:
    """The same time of day on the organization's clock `days` of its days before `moment`
    (a week across a daylight-saving change is 167 or 169 hours, not 168)."""
    # Arithmetic on an aware datetime is on its wall clock; the offset is that of the result.
    return (local_now(organization, moment) - timedelta(days=days)).astimezone(UTC)
