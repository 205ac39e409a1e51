"""Requests per token, counted in fixed windows in the shared cache (Redis: every web process
counts in the same place). A token over its limit is answered 429 with Retry-After, the seconds
until its window ends.

The limit guards the service, not a secret, so it fails open: when the cache cannot be reached
the request goes through (and a warning is logged), as the pages do without Redis."""

import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches

logger = logging.getLogger(__name__)

DEFAULT_LIMIT = 600  # requests
DEFAULT_WINDOW = 60  # seconds


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset: int  # seconds until the window ends


def limits() -> tuple[int, int]:
    """(requests, seconds) of the window: settings API_RATE_LIMIT and API_RATE_WINDOW (from the
    environment, vindaris.settings.base)."""
    return (
        int(getattr(settings, "API_RATE_LIMIT", DEFAULT_LIMIT)),
        int(getattr(settings, "API_RATE_WINDOW", DEFAULT_WINDOW)),
    )


def hit(key: str, *, now: float | None = None) -> Verdict:
    """Count one request of `key` (a token) in the current window; allowed while the count
    is within the limit. One round trip to the cache (two on a window's first request)."""
    limit, window = limits()
    moment = time.time() if now is None else now
    start = int(moment // window) * window
    reset = max(1, math.ceil(start + window - moment))
    cache_key = f"api:rate:{key}:{start}"
    cache = caches["default"]
    try:
        try:
            count = cache.incr(cache_key)
        except ValueError:  # the window's first request
            count = 1 if cache.add(cache_key, 1, timeout=window + 1) else cache.incr(cache_key)
    except Exception:  # the cache is down: count nothing, refuse nothing
        logger.warning("Rate limits not counted: the cache is unavailable.", exc_info=True)
        return Verdict(True, limit, limit, reset)
    return Verdict(count <= limit, limit, max(0, limit - count), reset)
