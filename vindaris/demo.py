"""Demo data for `make run`: two organizations, their members, and (as apps arrive) their strategy.

Idempotent: `seed()` does nothing when the demo organizations exist. Each app's part is a step in
`STEPS`, run in order inside one transaction, receiving the `DemoCast` built by the first step.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from vindaris.tenancy import services as tenancy_services
from vindaris.tenancy.models import Membership, Organization, Role, User

DEMO_PASSWORD = "vindaris-demo"

# (email, name, organization slug, role)
DEMO_MEMBERS = [
    ("admin@acme.example", "Ada Admin", "acme", Role.ADMIN),
    ("lead@acme.example", "Lee Lead", "acme", Role.LEAD),
    ("planner@acme.example", "Pat Planner", "acme", Role.PLANNER),
    ("viewer@acme.example", "Vic Viewer", "acme", Role.VIEWER),
    ("admin@globex.example", "Gus Admin", "globex", Role.ADMIN),
    ("lead@globex.example", "Gil Lead", "globex", Role.LEAD),
]


@dataclass
class DemoCast:
    organizations: dict[str, Organization] = field(default_factory=dict)
    members: dict[str, Membership] = field(default_factory=dict)  # by email

    def user(self, email: str) -> User:
        return self.members[email].user


def _tenancy(cast: DemoCast) -> None:
    for slug, name in [("acme", "Acme"), ("globex", "Globex")]:
        founder_email = next(e for e, _, s, r in DEMO_MEMBERS if s == slug and r == Role.ADMIN)
        founder_name = next(n for e, n, _, _ in DEMO_MEMBERS if e == founder_email)
        founder = User.objects.create_user(founder_email, DEMO_PASSWORD, name=founder_name)
        cast.organizations[slug] = tenancy_services.organization_create(
            name=name, actor=founder, slug=slug
        )
    for email, name, slug, role in DEMO_MEMBERS:
        user = User.objects.filter(email=email).first() or User.objects.create_user(
            email, DEMO_PASSWORD, name=name
        )
        membership, _ = Membership.objects.get_or_create(
            organization=cast.organizations[slug], user=user, defaults={"role": role}
        )
        cast.members[email] = membership


STEPS: list[Callable[[DemoCast], None]] = [_tenancy]


def seed() -> bool:
    """Load the demo; return False (and change nothing) if it is already there."""
    with transaction.atomic():
        if Organization.objects.filter(slug__in=["acme", "globex"]).exists():
            return False
        cast = DemoCast()
        for step in STEPS:
            step(cast)
    return True
