"""Organizations live in their own timezone: their day (snapshots) and week (digest).

The zone helpers live in vindaris.tenancy.zones, where goals and work reach them too; these
names stay for traceability's modules."""

from vindaris.tenancy.zones import UTC, local_date, local_now, organization_tz, week_of

__all__ = ["UTC", "local_date", "local_now", "organization_tz", "week_of"]
