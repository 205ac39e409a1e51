"""How far a running import has got, for its progress bar.

The apply writes in one transaction (all or nothing), which nobody else sees until it commits, so
progress goes through the shared cache (Redis), not the database. A cache that is away only
costs the bar its figure: the job goes on, and the page says "working".
"""

import logging
from dataclasses import dataclass

from django.core.cache import cache

log = logging.getLogger(__name__)

TTL = 3600


@dataclass(frozen=True)
class Progress:
    phase: str  # "reading", "checking", "applying"
    percent: int


def _key(organization_id: int, run_id: int) -> str:
    return f"imports:progress:{organization_id}:{run_id}"


def report(organization_id: int, run_id: int, phase: str, done: int, total: int) -> None:
    percent = min(100, round(100 * done / total)) if total else 0
    try:
        cache.set(_key(organization_id, run_id), (phase, percent), TTL)
    except Exception:  # the cache is away: the bar waits, the job goes on
        log.warning("import progress not recorded", exc_info=True)


def read(organization_id: int, run_id: int) -> Progress | None:
    try:
        value = cache.get(_key(organization_id, run_id))
    except Exception:
        log.warning("import progress not read", exc_info=True)
        return None
    return Progress(*value) if value else None
