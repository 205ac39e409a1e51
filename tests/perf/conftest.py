"""Two generated organizations, one ten times the other, each with every kind of gap; the
pages must run the same queries on both."""

from dataclasses import dataclass

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from bench import floors
from bench.generate import OrgSpec, finish, generate, lead_email
from vindaris.tenancy.models import User

SMALL = OrgSpec("perf-small", "Perf small", members=4, goals=12, outcomes=12, tasks=150)
LARGE = OrgSpec("perf-large", "Perf large", members=16, goals=60, outcomes=120, tasks=1500)


@dataclass
class Generated:
    small: floors.Target
    large: floors.Target

    def client(self, target: floors.Target) -> Client:
        client = Client()
        client.force_login(User.objects.get(pk=target.user_id))
        return client


@pytest.fixture
def generated(db) -> Generated:
    """Written by the benchmark's generator, every constraint checked as rows go in; flags
    from the real reconciler, two weeks of snapshots."""
    now = timezone.now()
    with connection.cursor() as cursor:
        generate(cursor, [SMALL, LARGE], now=now)
    finish([SMALL.slug, LARGE.slug], now=now, history_days=14)
    with connection.cursor() as cursor:
        return Generated(
            small=floors.target(cursor, SMALL.slug, lead_email(SMALL.slug)),
            large=floors.target(cursor, LARGE.slug, lead_email(LARGE.slug)),
        )
