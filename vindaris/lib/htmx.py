"""What an htmx request asks for."""

from django.http import HttpRequest


def is_fragment(request: HttpRequest) -> bool:
    """An htmx request that swaps part of the page (a history restore wants the whole page)."""
    htmx = request.htmx  # type: ignore[attr-defined]  # set by django-htmx's middleware
    return bool(htmx) and not htmx.history_restore_request


def target(request: HttpRequest) -> str:
    """The id of the element a fragment request swaps; empty for a whole page."""
    return (request.htmx.target or "") if is_fragment(request) else ""  # type: ignore[attr-defined]  # set by django-htmx's middleware
