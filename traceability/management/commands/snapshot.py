from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from traceability import services

from ._organizations import organizations


class Command(BaseCommand):
    help = "Take (or refresh) today's coverage snapshot (what the daily job does)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", metavar="SLUG", help="Only this organization.")

    def handle(self, *args: Any, **options: Any) -> None:
        for organization in organizations(options["org"]):
            snapshot = services.snapshot_take(organization=organization)
            ratio = "—" if snapshot.linked_ratio is None else f"{snapshot.linked_ratio:.0%}"
            self.stdout.write(
                f"{organization.slug} {snapshot.date}: linked ratio {ratio}, "
                f"{snapshot.orphaned} orphaned, {snapshot.stranded} stranded, "
                f"{snapshot.suspect} suspect, {snapshot.starved} starved"
            )
