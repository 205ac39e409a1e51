from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from imports import readers, services
from imports.models import ImportRun, ImportState
from vindaris.tenancy.models import Membership, Organization


class Command(BaseCommand):
    help = (
        "Import a file into an organization: a dry run first (printed), then the apply unless"
        " --dry-run. Groupings map to goals as the organization's last import from the same tool"
        " mapped them, else to no goal; people by email; statuses by the tool's category."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="the organization's slug")
        parser.add_argument("--file", required=True, type=Path)
        parser.add_argument("--format", default="", choices=["", *readers.READERS])
        parser.add_argument(
            "--as", dest="email", default="", help="the admin or lead importing (default: an admin)"
        )
        parser.add_argument("--dry-run", action="store_true", help="read and report only")

    def handle(self, *args: Any, **options: Any) -> None:
        organization = Organization.objects.filter(slug=options["org"]).first()
        if organization is None:
            raise CommandError(f"No organization {options['org']!r}.")
        members = Membership.objects.filter(
            organization=organization, role__in=services.IMPORTERS
        ).select_related("user", "organization")
        if options["email"]:
            members = members.filter(user__email__iexact=options["email"])
        membership = members.order_by("role", "pk").first()
        if membership is None:
            raise CommandError("No admin or lead to import as (see --as).")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No file {path}.")
        if path.stat().st_size > services.MAX_FILE_BYTES:
            raise CommandError(
                f"The file is larger than {services.MAX_FILE_BYTES // 1024 // 1024} MB."
            )
        upload = SimpleUploadedFile(path.name, path.read_bytes())
        try:
            with transaction.atomic():
                run = services.import_start(
                    organization=organization,
                    membership=membership,
                    upload=upload,
                    format=options["format"],
                )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        services.run_pending(organization.pk)
        run = ImportRun.objects.get(organization=organization, pk=run.pk)
        self._report(run)
        if run.state != ImportState.READY:
            raise CommandError(run.error or "The dry run did not finish.")
        if options["dry_run"]:
            services.import_discard(organization=organization, membership=membership, run=run)
            self.stdout.write("Dry run only: nothing was changed.")
            return
        services.import_apply(organization=organization, membership=membership, run=run)
        services.run_pending(organization.pk)
        run = ImportRun.objects.get(organization=organization, pk=run.pk)
        if run.state != ImportState.APPLIED:
            raise CommandError(run.error or "The apply did not finish.")
        result = run.result
        self.stdout.write(
            self.style.SUCCESS(
                f"{run.key} applied: {result['tasks']['new']} tasks created,"
                f" {result['tasks']['changed']} updated, {result['tasks']['unchanged']} unchanged,"
                f" {result['goals_created']} goals created; linked ratio"
                f" {result['before']['linked_percent']}% → {result['after']['linked_percent']}%."
            )
        )

    def _report(self, run: ImportRun) -> None:
        plan = run.plan
        if not plan:
            return
        tasks = plan["tasks"]
        self.stdout.write(
            f"{run.key} {plan['format_label']}: {plan['rows']} rows; tasks {tasks['new']} new,"
            f" {tasks['changed']} changed, {tasks['unchanged']} unchanged;"
            f" goals {plan['goals']['new']} new; {plan['problems_count']} rows not taken."
        )
        for line, message in plan["problems"][:20]:
            self.stdout.write(f"  line {line}: {message}")
