from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponseNotAllowed
from django.http.response import HttpResponseBase
from django.urls import Resolver404, URLPattern, path, re_path, resolve

from . import problems, views
from .v1 import api


def _method_problem(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A method an operation does not take is a problem document too (ninja answers it in
    plain text), with its Allow header; so is ninja's empty root."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            response = view(request, *args, **kwargs)
        except Http404:  # ninja's root URL, /api/v1/, names nothing
            return problems.not_found("No such URL in the API: see /api/v1/docs.").response()
        if isinstance(response, HttpResponseNotAllowed):
            return problems.Problem(
                405,
                f"{request.method} is not one of this URL's methods: {response['Allow']}.",
                headers={"Allow": response["Allow"]},
            ).response()
        return response

    return wrapper


def _operations(patterns: list[Any]) -> list[Any]:
    return [
        URLPattern(p.pattern, _method_problem(p.callback), p.default_args, p.name)
        if isinstance(p, URLPattern)
        else p
        for p in patterns
    ]


def not_found(request: HttpRequest, rest: str = "") -> HttpResponseBase:
    """Any other URL under /api/v1/: a problem document too, which says when the URL lacks its
    trailing slash (a redirect would lose a POST's body)."""
    detail = "No such URL in the API: see /api/v1/openapi.json."
    if not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.url_name != "api_not_found":
            detail = f"No such URL in the API: did you mean {request.path}/ ?"
    return problems.not_found(detail).response()


v1_patterns, v1_app, v1_namespace = api.urls

# The API: /api/v1/ (the organizations' operations under /api/v1/o/<org_slug>/, the OpenAPI
# schema at /api/v1/openapi.json, its docs page at /api/v1/docs)
urlpatterns = [
    path(
        "v1/",
        (
            [
                *_operations(v1_patterns),
                re_path(r"^(?P<rest>.*)$", not_found, name="api_not_found"),
            ],
            v1_app,
            v1_namespace,
        ),
    ),
]

# Organization pages: /o/<org_slug>/settings/tokens/
org_urlpatterns = [
    path("settings/tokens/", views.tokens, name="api_tokens"),
    path("settings/tokens/revoke/", views.token_revoke, name="api_token_revoke"),
]
