from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from traceability import services

from ._organizations import organizations


class Command(BaseCommand):
    help = "Raise and resolve flags so they match the data (what the scheduled reconciler does)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", metavar="SLUG", help="Only this organization.")

    def handle(self, *args: Any, **options: Any) -> None:
        for organization in organizations(options["org"]):
            result = services.flags_reconcile(organization=organization)
            self.stdout.write(
                f"{organization.slug}: {result.raised} raised, {result.resolved} resolved"
            )
