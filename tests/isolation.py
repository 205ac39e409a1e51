"""The tenant-isolation harness: every URL pattern is classified, and every organization pattern
answers 404 to a member of another organization, for GET and POST, plain and htmx, writing nothing.

A pattern with a URL keyword the harness cannot fill fails the suite: teach `KWARG_SAMPLES`.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.apps import apps
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

ORG_PREFIX = "o/<slug:org_slug>/"
# The public API: its organization operations (tests/api/harness.py asks each of them the same
# questions with tokens), and its schema and docs, which anyone may read.
API_ORG_PREFIX = "api/v1/o/<org_slug>/"
API_PREFIX = "api/v1/"

# Pages anyone may reach (they resolve no organization from the URL).
PUBLIC_NAMES = {
    "home",
    "healthz",
    "signup",
    "organization_create",
    "invitation_accept",
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
}
STAFF_PREFIX = "admin/"


@dataclass(frozen=True)
class Route:
    route: str
    name: str | None
    kind: str  # public, organization, staff, api, api_public, unclassified


def _walk(patterns: list, prefix: str = "") -> Iterator[tuple[str, str | None]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p.name


def classify(urlconf: str | None = None) -> list[Route]:
    routes = []
    for route, name in _walk(get_resolver(urlconf).url_patterns):
        if route.startswith(ORG_PREFIX):
            kind = "organization"
        elif route.startswith(API_ORG_PREFIX):
            kind = "api"
        elif route.startswith(API_PREFIX):
            kind = "api_public"
        elif route.startswith(STAFF_PREFIX):
            kind = "staff"
        elif name in PUBLIC_NAMES:
            kind = "public"
        else:
            kind = "unclassified"
        routes.append(Route(route, name, kind))
    return routes


def fill(route: str, samples: dict[str, str]) -> str:
    """Turn 'o/<slug:org_slug>/goals/<int:number>/' into a concrete path using samples."""
    import re

    def sub(m: re.Match) -> str:
        key = m.group(2)
        if key not in samples:
            raise KeyError(f"No sample value for URL keyword {key!r} in {route!r}")
        return str(samples[key])

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", sub, route)


def row_counts() -> dict[str, int]:
    """Rows in every table of our apps and of guardian (sessions excluded: logging in writes)."""
    counts = {}
    with connection.cursor() as cursor:
        for model in apps.get_models():
            if model._meta.app_label in {"sessions", "admin"}:
                continue
            table = model._meta.db_table
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - table names from models
            counts[table] = cursor.fetchone()[0]
    return counts


def find_leaks(
    client: Client, org_slug: str, samples: dict[str, str], urlconf: str | None = None
) -> list[str]:
    """Every (method, htmx, path) under an organization that did not answer 404 or wrote rows."""
    leaks = []
    for r in classify(urlconf):
        if r.kind != "organization":
            continue
        path = fill(r.route, {"org_slug": org_slug, **samples})
        for method in ("get", "post"):
            for htmx in (False, True):
                before = row_counts()
                headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
                response = getattr(client, method)(path, **headers)
                after = row_counts()
                label = f"{method.upper()} {'htmx ' if htmx else ''}{path}"
                if response.status_code != 404:
                    leaks.append(f"{label} answered {response.status_code}")
                if before != after:
                    changed = {k for k in before if before[k] != after.get(k)}
                    leaks.append(f"{label} wrote to {sorted(changed)}")
    return leaks


SampleBuilder = Callable[..., dict[str, str]]
