"""`python -m bench` (what `make bench` runs): build the benchmark database unless a copy made
by the same generator and migrations this week exists, copy it, and measure on the copy.

It needs a running PostgreSQL cluster named by PGHOST and PGUSER (scripts/bench.sh starts one
under .state/bench/ and keeps it between runs, so the generated database is kept too). The
generated database is a template named after `bench.generate.fingerprint()`; each run measures
on `bench_run`, a fresh file copy of it, because the measurements write (tasks are added,
flags reconciled). Options: --rebuild generates again even when a template exists.
"""

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import psycopg

from bench.generate import fingerprint

ROOT = Path(__file__).resolve().parent.parent
RUN_DB = "bench_run"
BUILD_DB = "bench_build"
PREFIX = "bench_tpl_"


def _url(database: str) -> str:
    user = os.environ.get("PGUSER", "")
    host = os.environ.get("PGHOST", "")
    return f"postgres://{quote(user)}@/{database}?host={quote(host)}"


def _environment(database: str) -> dict[str, str]:
    """Production-like settings: the base module with DEBUG off, jobs enqueued to Redis."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=_url(database),
        DJANGO_SETTINGS_MODULE="vindaris.settings.base",
        DEBUG="false",
        ALLOWED_HOSTS="testserver",
        JOBS_ENABLED="true",
        LOG_LEVEL="WARNING",
        EMAIL_URL="memorymail://",
        STATIC_ROOT=str(ROOT / ".state" / "bench" / "static"),
        PYTHONPATH=str(ROOT),
    )
    return env


def _python(module: str, database: str) -> int:
    command = [sys.executable, "-m", module]  # our own modules, no outside input
    return subprocess.call(command, cwd=ROOT, env=_environment(database))  # noqa: S603


def main(argv: list[str]) -> int:
    if prepare(RUN_DB, rebuild="--rebuild" in argv) != 0:
        return 2
    return _python("bench.run", RUN_DB)


def prepare(database: str, *, rebuild: bool = False) -> int:
    """Make `database` a fresh copy of the benchmark database, generating that first unless a
    copy made by the same generator and migrations this week exists. 0 on success."""
    template = PREFIX + fingerprint()
    with psycopg.connect(dbname="postgres", autocommit=True) as admin:
        existing = {
            row[0]
            for row in admin.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE 'bench%%' OR datname = %s",
                [database],
            ).fetchall()
        }
        for name in (database, BUILD_DB):
            if name in existing:
                admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        if rebuild and template in existing:
            admin.execute(f'DROP DATABASE "{template}"')
            existing.discard(template)
        if template not in existing:
            print(f"bench: generating the benchmark database ({template})", flush=True)
            started = time.perf_counter()
            admin.execute(f'CREATE DATABASE "{BUILD_DB}"')
            if _python("bench.generate", BUILD_DB) != 0:
                admin.execute(f'DROP DATABASE IF EXISTS "{BUILD_DB}" WITH (FORCE)')
                print("bench: generating the database failed", file=sys.stderr)
                return 2
            admin.execute(f'ALTER DATABASE "{BUILD_DB}" RENAME TO "{template}"')
            for old in existing:
                if old.startswith(PREFIX):
                    admin.execute(f'DROP DATABASE "{old}"')
            print(f"bench: generated in {time.perf_counter() - started:.0f} s", flush=True)
        else:
            print(f"bench: reusing the benchmark database {template}", flush=True)
        started = time.perf_counter()
        admin.execute(f'CREATE DATABASE "{database}" TEMPLATE "{template}" STRATEGY FILE_COPY')
        print(f"bench: copied in {time.perf_counter() - started:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
