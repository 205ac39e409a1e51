import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from goals.models import Goal
from traceability import services
from vindaris.tenancy.models import Organization

from ._organizations import organizations

GOAL = Goal._meta.db_table

# The figures that differ from a recount of the organization's tasks and outcomes, with the
# goal's number (traceability migration 0005).
DRIFT_SQL = f"""
    SELECT g.number, d.goal_id, d."column", d.stored, d.expected
      FROM traceability_goalcoverage_drift(%(org)s)
           WITH ORDINALITY d (goal_id, "column", stored, expected, n)
      LEFT JOIN {GOAL} g ON g.organization_id = %(org)s AND g.id = d.goal_id
     ORDER BY d.n
"""  # noqa: S608 - table name from the model


def _drift(organization: Organization) -> list[tuple[int | None, int | None, str, str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(DRIFT_SQL, {"org": organization.pk})
        return cursor.fetchall()


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


class Command(BaseCommand):
    help = (
        "Compare an organization's per-goal coverage rows with a recount of its tasks and "
        "outcomes; print what differs, exit 1 on drift. --repair fixes the rows that differ."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", nargs="?", metavar="ORG-SLUG", help="The organization.")
        parser.add_argument("--all", action="store_true", help="Every organization, one at a time.")
        parser.add_argument("--repair", action="store_true", help="Fix the rows that differ.")

    def handle(self, *args: Any, **options: Any) -> None:
        slug, every, repair = options["slug"], options["all"], options["repair"]
        if bool(slug) == every:
            raise CommandError("Give one organization's slug, or --all.")
        drifting = 0
        checked = 0
        for organization in list(organizations(slug)):
            checked += 1
            # One transaction per organization: the repair fixes what was just reported, and
            # holds that organization's rows only until its own commit.
            with transaction.atomic():
                rows = _drift(organization)
                for number, goal_id, column, stored, expected in rows:
                    if goal_id is None:
                        goal = "no goal"
                    elif number is None:
                        goal = f"goal #{goal_id}"  # deleted meanwhile
                    else:
                        goal = f"G-{number}"
                    self.stdout.write(
                        f"{organization.slug} {goal}: {column} {_show(stored)} → {_show(expected)}"
                    )
                goals = len({goal_id for _, goal_id, *_ in rows})
                if not rows:
                    self.stdout.write(f"{organization.slug}: coverage exact")
                    continue
                drifting += 1
                verb = "differs" if len(rows) == 1 else "differ"
                self.stdout.write(
                    f"{organization.slug}: {_plural(len(rows), 'figure')} {verb}"
                    f" on {_plural(goals, 'row')}"
                )
                if repair:
                    fixed = services.goal_coverage_refresh(organization=organization)
                    self.stdout.write(f"{organization.slug}: repaired {_plural(fixed, 'row')}")
        if every:
            self.stdout.write(
                f"{_plural(checked, 'organization')} checked,"
                f" {drifting} with drift{' (repaired)' if repair and drifting else ''}"
            )
        if drifting and not repair:
            sys.exit(1)


def _show(value: str | None) -> str:
    return "—" if value is None else value
