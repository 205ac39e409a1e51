from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from traceability import selectors, services
from traceability.digest import render_digest

from ._organizations import organizations


class Command(BaseCommand):
    help = (
        "Render one member's weekly digest now and send it to them (--dry-run: print the text "
        "and HTML parts instead). The weekly sent-log is neither read nor written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", metavar="SLUG", required=True)
        parser.add_argument("--to", metavar="EMAIL", required=True, help="A member's email.")
        parser.add_argument("--dry-run", action="store_true", help="Print it; send nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        organization = organizations(options["org"]).get()
        membership = selectors.membership_for_digest(organization=organization, email=options["to"])
        if membership is None:
            raise CommandError(f"{options['to']} is not a member of {organization.slug}.")
        if not options["dry_run"] and not membership.user.is_active:
            raise CommandError(f"{membership.user.email}'s account is inactive.")
        if not options["dry_run"] and membership.digest_opt_out:
            raise CommandError(f"{membership.user.email} opted out of this digest.")
        digest = services.digest_for_member(organization=organization, membership=membership)
        if digest.is_empty:
            self.stdout.write(f"Nothing to report to {membership.user.email}: no email.")
            return
        message = render_digest(digest)
        if options["dry_run"]:
            html = str(message.alternatives[0][0]) if message.alternatives else ""
            self.stdout.write(f"To: {', '.join(message.to)}\nSubject: {message.subject}")
            for name, value in message.extra_headers.items():
                self.stdout.write(f"{name}: {value}")
            self.stdout.write(f"\n{message.body}\n----- HTML -----\n{html}")
            return
        message.send()
        self.stdout.write(f"Sent to {membership.user.email}: {message.subject}")
