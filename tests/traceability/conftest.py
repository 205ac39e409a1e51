"""Data with every kind of gap, and a real Celery worker against the test database."""

import email
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlparse

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from goals import services as goal_services
from goals.models import Goal, GoalStatus, Priority
from tests.builders import make_goal, make_task
from vindaris.tenancy.models import Membership, Organization, User
from work import services as work_services
from work.models import Origin, Task

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")


@dataclass
class Gaps:
    """One organization's graph with one task or goal per situation."""

    active: Goal
    on_hold: Goal
    lowered: Goal
    starved: Goal
    linked: Task  # live, on an active goal: no gap
    done: Task  # finished work under the goal on hold: no gap
    orphaned: Task
    stranded: Task  # also suspect: leaving `active` is a material change
    kept: Task  # stranded, but kept with a reason: no open flag
    suspect: Task  # the goal's priority was lowered after the link was confirmed
    assigned: Task  # created by the lead, assigned to the planner; stranded and suspect


def build_gaps(org: Organization, lead: User, planner: User) -> Gaps:
    """Everything through the real services, as users would create it."""
    planner_membership = Membership.objects.get(organization=org, user=planner)
    org.allow_goalless_work = True
    org.save(update_fields=["allow_goalless_work"])
    active = make_goal(org, lead, "Win the mid-market", priority=Priority.P1)
    on_hold = make_goal(org, lead, "Launch in Spain", priority=Priority.P2)
    lowered = make_goal(org, lead, "Cut churn", priority=Priority.P1)
    starved = make_goal(org, lead, "Hire a data team", priority=Priority.P3)
    linked = make_task(org, planner, active, "Call ten prospects")
    done = make_task(org, planner, on_hold, "Translate the site")
    work_services.task_set_status(organization=org, actor=planner, task=done, status="done")
    orphaned = make_task(org, planner, None, "Fix the invoice export", origin=Origin.QUICK_ADD)
    stranded = make_task(org, planner, on_hold, "Find a Madrid office")
    kept = make_task(org, planner, on_hold, "Register the company")
    assigned = make_task(org, lead, on_hold, "Open a bank account", assignee=planner_membership)
    suspect = make_task(org, planner, lowered, "Interview churned customers")
    goal_services.goal_update(organization=org, actor=lead, goal=on_hold, status=GoalStatus.ON_HOLD)
    goal_services.goal_update(organization=org, actor=lead, goal=lowered, priority=Priority.P3)
    work_services.task_keep(
        organization=org, actor=planner, task=kept, reason="Needed whatever happens"
    )
    # The starved goal became active long before the grace period.
    Goal.objects.filter(pk=starved.pk).update(activated_at=timezone.now() - timedelta(days=30))
    return Gaps(
        active=active,
        on_hold=on_hold,
        lowered=lowered,
        starved=starved,
        linked=linked,
        done=done,
        orphaned=orphaned,
        stranded=stranded,
        kept=kept,
        suspect=suspect,
        assigned=assigned,
    )


@pytest.fixture
def gaps(org, lead, planner) -> Gaps:
    return build_gaps(org, lead, planner)


# A real Celery worker ------------------------------------------------------------------------


def _database_url() -> str:
    """The URL of the database the tests use (pytest-django's test_… database)."""
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    host = db["HOST"] or ""
    if host.startswith("/"):
        return f"postgres://{user}{password}@/{db['NAME']}?host={quote(host, safe='')}"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{user}{password}@{host}{port}/{db['NAME']}"


@dataclass
class Worker:
    name: str
    mail_dir: Path
    log: Path

    def wait_until(self, predicate: Callable[[], bool], timeout: float = 20) -> None:
        """Poll `predicate` (it reads committed rows) until it holds."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"Timed out; worker log:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.1)

    def wait_until_idle(self, timeout: float = 20) -> None:
        """Until the queue is empty and the worker has nothing running or reserved."""
        from vindaris.celery import app

        def idle() -> bool:
            with app.connection_for_read() as conn:
                waiting = conn.default_channel.queue_declare("celery").message_count
            if waiting:
                return False
            inspect = app.control.inspect(destination=[self.name], timeout=1)
            active, reserved = inspect.active(), inspect.reserved()
            return (
                bool(active and reserved)
                and not any(active.values())
                and not any(reserved.values())
            )

        self.wait_until(idle, timeout)

    def emails(self) -> list[email.message.Message]:
        """Every email the worker sent (the file backend appends them, separated by dashes)."""
        messages = []
        for path in sorted(self.mail_dir.iterdir()):
            for chunk in path.read_bytes().split(b"-" * 79 + b"\n"):
                if chunk.strip():
                    messages.append(email.message_from_bytes(chunk))
        return messages


@pytest.fixture(scope="module")
def celery_worker(django_db_setup, tmp_path_factory) -> Iterator[Worker]:
    """`celery -A vindaris worker` (solo pool) against the test database and the test Redis,
    writing emails to files. Module-scoped: started once for the tests that need it."""
    from vindaris.celery import app

    base = tmp_path_factory.mktemp("celery-worker")
    worker = Worker(
        name=f"test-{uuid.uuid4().hex[:8]}@vindaris", mail_dir=base / "mail", log=base / "log"
    )
    worker.mail_dir.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "vindaris.settings.base",
        "DATABASE_URL": _database_url(),
        "CONN_MAX_AGE": "0",
        # Four slashes: django-environ drops the first one of the path.
        "EMAIL_URL": f"filemail:///{worker.mail_dir}",
        "SITE_URL": settings.SITE_URL,
        "SECRET_KEY": settings.SECRET_KEY,
        "LOG_LEVEL": "WARNING",
        # Beat runs inside the worker: the dispatcher hands the jobs writes asked for to the
        # broker every fraction of a second.
        "JOBS_DISPATCH_SECONDS": "0.3",
        # Uploads (imports) are read from where the test settings keep them.
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    app.control.purge()  # jobs enqueued by earlier tests, for rows long gone
    with worker.log.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own executable and arguments
            [
                str(CELERY),
                "-A",
                "vindaris",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--beat",
                "--schedule",
                str(base / "beat-schedule"),
                "-n",
                worker.name,
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while not app.control.ping(destination=[worker.name], timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"The Celery worker did not start:\n{worker.log.read_text()}")
        yield worker
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def redis_socket() -> Path:
    url = urlparse(os.environ.get("REDIS_URL", ""))
    return Path(url.path)


def stop_redis() -> None:
    subprocess.run(  # noqa: S603
        ["redis-cli", "-s", str(redis_socket()), "shutdown", "nosave"],  # noqa: S607
        check=False,
        capture_output=True,
    )


def start_redis() -> None:
    """Start the test Redis again, exactly as scripts/with-services.sh did."""
    from kombu import pools

    from vindaris.celery import app

    state = redis_socket().parent.parent
    subprocess.run([str(ROOT / "scripts" / "services.sh"), "start", str(state)], check=True)  # noqa: S603
    # This process's pooled connections went with the old server.
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
