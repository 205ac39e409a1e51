"""`make load` and `make drill`: Vindaris served as in production (gunicorn, a Celery worker and
beat, the benchmark's PostgreSQL and Redis) under a mixed load of leads and planners
(bench/locustfile.py, locust headless), on a copy of the benchmark database.

`make load` runs the load once and reports requests per second and p50/p95/p99 per page. `make
drill` runs it once per fault: the worker killed (it is supervised, as under `make run`), Redis
frozen then let go, Redis killed then started again, PostgreSQL restarted. After every run:
- every write answered 2xx is in the database (its task, its history row, its kept reason);
- no answer was a 5xx, but 503 "try again" while PostgreSQL restarts;
- (drill) writes answered within 100 ms at p95 while Redis was frozen;
- every coverage row equals a recount (traceability_goalcoverage_drift), and the flags equal a
  recount (a reconcile that would change nothing) within a minute after the load ends.
It prints a Markdown report and exits non-zero when a check fails.

Environment: LOAD_USERS (30 for load, 15 for the drill), LOAD_SECONDS (60 for load, 45 per drill
phase), LOAD_WORKERS (gunicorn workers, 4), LOAD_FAULTS (some of the drill's faults, separated
by commas).
"""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.__main__ import ROOT, _environment, prepare

DATABASE = "load_run"
ORG = "bench-l"
PASSWORD = "load-test-password"  # noqa: S105 - set on the copy's load users only
STATE = ROOT / ".state" / "bench"
LEADS, PLANNERS, GOALS = 3, 27, 40
FREEZE_LIMIT_MS = 100
SETTLE_SECONDS = 60


@dataclass
class Phase:
    name: str
    fault: str = ""  # worker, redis-freeze, redis-kill, postgres
    started: float = 0.0
    ended: float = 0.0
    fault_window: tuple[float, float] = (0.0, 0.0)
    log: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    settled_after: float | None = None
    locust_rc: int = 0
    lock_samples: int = 0
    lock_waits: Counter[str] = field(default_factory=Counter)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# Set-up and checks, in this process, on the copy ------------------------------------------------


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


def choose_cast() -> dict[str, str]:
    """Give the lead and planners of the large organization a password; pick the goals the
    planners work on (active ones, where new work is expected)."""
    from django.contrib.auth.hashers import make_password

    from goals.models import Goal, GoalStatus
    from vindaris.tenancy.models import Membership, Role, User

    members = Membership.objects.filter(organization__slug=ORG).select_related("user")
    leads = [m.user.email for m in members.filter(role=Role.LEAD).order_by("id")[:LEADS]]
    planners = [m.user.email for m in members.filter(role=Role.PLANNER).order_by("id")[:PLANNERS]]
    User.objects.filter(email__in=leads + planners).update(password=make_password(PASSWORD))
    goals = Goal.objects.filter(organization__slug=ORG, status=GoalStatus.ACTIVE)
    numbers = list(goals.order_by("number").values_list("number", flat=True)[:GOALS])
    return {
        "LOAD_ORG": ORG,
        "LOAD_PASSWORD": PASSWORD,
        "LOAD_LEADS": ",".join(leads),
        "LOAD_PLANNERS": ",".join(planners),
        "LOAD_GOALS": ",".join(map(str, numbers)),
    }


def missing_writes(entries: list[dict[str, Any]]) -> list[str]:
    """The writes answered 2xx whose rows are not in the database."""
    from vindaris.tenancy.models import Organization
    from work.models import Task, TaskEvent

    org = Organization.objects.get(slug=ORG)
    wrote = [e["wrote"] for e in entries if "wrote" in e]
    missing = []
    titles = [w["title"] for w in wrote if w["kind"] == "task"]
    found = Counter(
        Task.objects.filter(organization=org, title__in=titles).values_list("title", flat=True)
    )
    missing += [f"task {t!r}" for t in titles if found[t] != 1]
    changes = Counter((w["task"], w["status"]) for w in wrote if w["kind"] == "status")
    events = Counter(
        TaskEvent.objects.filter(
            organization=org,
            kind=TaskEvent.Kind.STATUS,
            task__number__in={number for number, _ in changes},
        ).values_list("task__number", "to_status")
    )
    missing += [
        f"status T-{n} -> {s} ({count} asked, {events[(n, s)]} in history)"
        for (n, s), count in changes.items()
        if events[(n, s)] < count
    ]
    reasons = [w["reason"] for w in wrote if w["kind"] == "kept"]
    kept = set(
        TaskEvent.objects.filter(organization=org, reason__in=reasons).values_list(
            "reason", flat=True
        )
    )
    missing += [f"kept {r!r}" for r in reasons if r not in kept]
    return missing


def settled(deadline: float) -> float | None:
    """Seconds until the coverage rows and the flags equal a recount, or None by `deadline`."""
    from django.db import connection, transaction

    from traceability.services import flags_reconcile
    from vindaris.tenancy.models import Organization

    started = time.monotonic()
    while time.monotonic() < deadline:
        try:
            connection.close_if_unusable_or_obsolete()
            org = Organization.objects.get(slug=ORG)
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM traceability_goalcoverage_drift(%s)", [org.pk])
                drift = cursor.fetchone()[0]
            with transaction.atomic():
                result = flags_reconcile(organization=org)
                transaction.set_rollback(True)
            if drift == 0 and result.raised == 0 and result.resolved == 0:
                return time.monotonic() - started
        except Exception:  # the database coming back: try again
            connection.close()
        time.sleep(2)
    return None


# The servers ------------------------------------------------------------------------------------


class Stack:
    """gunicorn, a supervised Celery worker and beat, each in a process group of its own."""

    def __init__(self, env: dict[str, str], port: int, folder: Path) -> None:
        self.env, self.port, self.folder = env, port, folder
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def spawn(self, name: str, *command: str) -> None:
        log = open(self.folder / f"{name}.log", "wb")  # noqa: SIM115 - the process keeps it
        self.procs[name] = subprocess.Popen(  # noqa: S603 - our own commands
            command, cwd=ROOT, env=self.env, stdout=log, stderr=log, start_new_session=True
        )

    def start(self) -> None:
        venv = Path(sys.executable).parent
        workers = os.environ.get("LOAD_WORKERS", "4")
        self.spawn(
            "web",
            str(venv / "gunicorn"),
            "vindaris.wsgi:application",
            "--config",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            workers,
            "--access-logfile",
            "/dev/null",
        )
        supervise = str(ROOT / "scripts" / "supervise.sh")
        celery = str(venv / "celery")
        self.spawn("worker", supervise, "worker", celery, "-A", "vindaris", "worker", "-c", "2")
        self.spawn(
            "beat", celery, "-A", "vindaris", "beat", "-s", str(self.folder / "beat-schedule")
        )
        for _ in range(300):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start; see " + str(self.folder / "web.log"))

    def kill_worker(self) -> None:
        """Kill the Celery worker itself (not its supervisor, which starts it again)."""
        children = subprocess.run(  # noqa: S603
            ["pgrep", "-P", str(self.procs["worker"].pid)],  # noqa: S607
            capture_output=True,
            text=True,
        ).stdout.split()
        for pid in children:
            os.kill(int(pid), signal.SIGKILL)

    def stop(self) -> None:
        for proc in self.procs.values():
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        for proc in self.procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def redis_pid() -> int:
    return int((STATE / "redis.pid").read_text())


def services(command: str) -> None:
    subprocess.run([str(ROOT / "scripts" / "services.sh"), command, str(STATE)], check=True)  # noqa: S603


def restart_postgres() -> None:
    pg_ctl = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))[-1]
    pgdata = STATE / "pg"
    # The server's output goes to its log: it outlives this command, and would hold a pipe open.
    command = [str(pg_ctl), "-D", str(pgdata), "-l", str(pgdata / "server.log")]
    command += ["restart", "-m", "fast", "-w"]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603


def inject(stack: Stack, fault: str) -> tuple[float, float]:
    """Cause `fault`; returns when it ends, with its (start, end) wall-clock window."""
    start = time.time()
    if fault == "worker":
        stack.kill_worker()
    elif fault == "redis-freeze":
        os.kill(redis_pid(), signal.SIGSTOP)
        time.sleep(10)
        os.kill(redis_pid(), signal.SIGCONT)
    elif fault == "redis-kill":
        os.kill(redis_pid(), signal.SIGKILL)
        time.sleep(5)
        services("start")
    elif fault == "postgres":
        restart_postgres()
    return start, time.time()


# A run ---------------------------------------------------------------------------------------


class LockWaits(threading.Thread):
    """Samples, every 100 ms, the server's sessions waiting for a lock, by what they wait for
    (an advisory lock is the reconcile's per-organization one)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stopped = threading.Event()
        self.samples = 0
        self.waits: Counter[str] = Counter()

    def run(self) -> None:
        import psycopg

        while not self.stopped.is_set():
            try:
                with psycopg.connect(dbname=DATABASE, autocommit=True) as conn:
                    while not self.stopped.wait(0.1):
                        rows = conn.execute(
                            "SELECT wait_event, left(query, 40) FROM pg_stat_activity"
                            " WHERE datname = %s AND wait_event_type = 'Lock'",
                            [DATABASE],
                        ).fetchall()
                        self.samples += 1
                        for event, query in rows:
                            self.waits[f"{event}: {' '.join(query.split())}"] += 1
            except Exception:  # the database restarting: sample again when it is back
                self.stopped.wait(0.5)


def run_phase(stack: Stack, phase: Phase, env: dict[str, str], seconds: int, users: int) -> None:
    log = stack.folder / f"{phase.name}.jsonl"
    command = [
        str(Path(sys.executable).parent / "locust"),
        "-f",
        str(ROOT / "bench" / "locustfile.py"),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(max(1, users // 3)),
        "--run-time",
        f"{seconds}s",
        "--host",
        f"http://127.0.0.1:{stack.port}",
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--exit-code-on-error",
        "0",
    ]
    phase.started = time.time()
    sampler = LockWaits()
    sampler.start()
    with open(stack.folder / f"{phase.name}-locust.log", "wb") as out:
        locust = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env={**env, "LOAD_LOG": str(log)}, stdout=out, stderr=out
        )
        if phase.fault:
            time.sleep(10)
            phase.fault_window = inject(stack, phase.fault)
        phase.locust_rc = locust.wait()
    phase.ended = time.time()
    sampler.stopped.set()
    sampler.join()
    phase.lock_samples, phase.lock_waits = sampler.samples, sampler.waits
    phase.log = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    if phase.locust_rc != 0:
        phase.problems.append(f"locust exited with {phase.locust_rc}")


def check_phase(phase: Phase) -> None:
    from django.db import connection

    connection.close()  # a connection from before a database restart is gone
    requests = [e for e in phase.log if "status" in e]
    if not requests:
        phase.problems.append("no request was made")
        return
    start, end = phase.fault_window
    for e in requests:
        status = e["status"]
        during_db_outage = phase.fault == "postgres" and start - 1 <= e["at"] <= end + 5
        if status >= 500 and not (status == 503 and during_db_outage):
            phase.problems.append(f"{e['method']} {e['name']} answered {status}")
        elif status == 0:
            phase.problems.append(f"{e['method']} {e['name']} got no answer")
    phase.problems += [f"missing after a 2xx: {m}" for m in missing_writes(phase.log)]
    if phase.fault == "redis-freeze":
        frozen = [e["ms"] for e in requests if e["write"] and start <= e["at"] <= end]
        p95 = percentile(frozen, 95)
        if not frozen:
            phase.problems.append("no write was made while Redis was frozen")
        elif p95 >= FREEZE_LIMIT_MS:
            phase.problems.append(f"writes while Redis was frozen: p95 {p95:.0f} ms")
    phase.settled_after = settled(time.monotonic() + SETTLE_SECONDS)
    if phase.settled_after is None:
        phase.problems.append(
            f"flags or coverage rows not equal to a recount after {SETTLE_SECONDS} s"
        )


def report(phases: list[Phase], users: int, workers: str) -> str:
    lines = [
        f"{users} users (leads 1 : planners 3), gunicorn with {workers} sync workers, a Celery "
        f"worker (2 processes) and beat, on {os.cpu_count()} cores; organization {ORG}.",
        "",
    ]
    for phase in phases:
        requests = [e for e in phase.log if "status" in e]
        seconds = max(phase.ended - phase.started, 1e-9)
        failures = sum(1 for e in requests if e["status"] >= 400 or e["status"] == 0)
        title = phase.name + (f" (fault: {phase.fault})" if phase.fault else "")
        lines += [
            f"### {title}",
            "",
            f"{len(requests)} requests in {seconds:.0f} s: {len(requests) / seconds:.1f} per "
            f"second, {failures} failed; writes answered 2xx: "
            f"{sum(1 for e in phase.log if 'wrote' in e)}; flags and coverage equal a recount "
            + (
                f"{phase.settled_after:.0f} s after the load"
                if phase.settled_after is not None
                else "never within a minute"
            )
            + ".",
            "",
            "| request | count | p50 ms | p95 ms | p99 ms | failed |",
            "|---|--:|--:|--:|--:|--:|",
        ]
        by_name: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for e in requests:
            by_name[e["name"]].append(e)
        for name, entries in sorted(by_name.items()):
            ms = [e["ms"] for e in entries]
            failed = sum(1 for e in entries if e["status"] >= 400 or e["status"] == 0)
            lines.append(
                f"| {name} | {len(ms)} | {percentile(ms, 50):.0f} | {percentile(ms, 95):.0f} | "
                f"{percentile(ms, 99):.0f} | {failed} |"
            )
        if phase.fault:
            start, end = phase.fault_window
            during = [e for e in requests if start <= e["at"] <= end]
            writes = [e["ms"] for e in during if e["write"]]
            other = [e["ms"] for e in requests if e["write"] and not start <= e["at"] <= end]
            lines += [
                "",
                f"During the fault ({end - start:.1f} s): {len(during)} requests, "
                f"{sum(1 for e in during if e['status'] == 503)} answered 503, writes p95 "
                f"{percentile(writes, 95):.0f} ms over {len(writes)} (the rest of the run: "
                f"{percentile(other, 95):.0f} ms).",
            ]
        waiting = sum(phase.lock_waits.values())
        advisory = sum(n for k, n in phase.lock_waits.items() if k.startswith("advisory"))
        top = ", ".join(f"{k} ({n})" for k, n in phase.lock_waits.most_common(3))
        lines += [
            "",
            f"Lock waits: {waiting} sessions waiting over {phase.lock_samples} samples of "
            f"100 ms; on the reconcile's advisory lock: {advisory}"
            + (f"; most: {top}." if top else "."),
        ]
        lines += ["", *(f"- **problem**: {p}" for p in phase.problems[:20]), ""]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    drill = "--drill" in argv
    # The drill checks behaviour under faults, not saturation: fewer users, so that a write's
    # time shows what it waits for rather than the two cores' queue.
    users = int(os.environ.get("LOAD_USERS", "15" if drill else "30"))
    seconds = int(os.environ.get("LOAD_SECONDS", "45" if drill else "60"))
    if prepare(DATABASE) != 0:
        return 2
    env = {
        **_environment(DATABASE),
        "ALLOWED_HOSTS": "127.0.0.1",
        "CSRF_TRUSTED_ORIGINS": "http://127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "JOBS_ENABLED": "true",
    }
    setup_django(env)
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    env.update(choose_cast())
    folder = Path(tempfile.mkdtemp(prefix="vindaris-load-"))
    stack = Stack(env, free_port(), folder)
    faults = ["worker", "redis-freeze", "redis-kill", "postgres"] if drill else [""]
    if os.environ.get("LOAD_FAULTS"):  # a part of the drill, while working on it
        faults = os.environ["LOAD_FAULTS"].split(",")
    phases = [Phase(name=f or "load", fault=f) for f in faults]
    stack.start()
    try:
        for phase in phases:
            print(f"load: {phase.name}: {users} users for {seconds} s", flush=True)
            run_phase(stack, phase, env, seconds, users)
            print(f"load: {phase.name}: load done, checking", flush=True)
            check_phase(phase)
            print(
                f"load: {phase.name}: {len(phase.log)} log lines, {len(phase.problems)} problems",
                flush=True,
            )
    finally:
        stack.stop()
    print(report(phases, users, os.environ.get("LOAD_WORKERS", "4")))
    print(f"Logs: {folder}")
    failed = [p.name for p in phases if p.problems]
    print(f"load: {'FAILED: ' + ', '.join(failed) if failed else 'every check passed'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
