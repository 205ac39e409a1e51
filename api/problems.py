"""Errors as RFC 9457 problem details: `application/problem+json` with type, title, status,
detail, and `errors` naming the fields a request got wrong (400 and 422).

Views raise `Problem`; the API turns it, and every other error on its way (a service's
ValidationError, a body that does not match its schema, a database outage), into one."""

import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.core import signals
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from vindaris.lib.outage import OUTAGES, RETRY_AFTER_SECONDS

MEDIA_TYPE = "application/problem+json"
# Problem types: a URN per kind of problem (RFC 9457 §3.1.1), the same on every response of
# that kind; `detail` says what happened this time.
TYPES = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Not allowed"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    422: ("invalid", "Invalid input"),
    429: ("rate-limited", "Too many requests"),
    500: ("server-error", "Server error"),
    503: ("unavailable", "Try again shortly"),
}

logger = logging.getLogger("django.request")


def problem_type(status: int) -> str:
    return f"urn:vindaris:problem:{TYPES[status][0]}"


class Problem(Exception):
    """An answer other than success: its status, what happened (`detail`), the fields that
    were wrong (`errors`: field, message), and headers to send with it."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: Iterable[Mapping[str, str]] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = [dict(e) for e in errors]
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": problem_type(self.status),
            "title": TYPES[self.status][1],
            "status": self.status,
            "detail": self.detail,
        }
        if self.status in (400, 422):
            body["errors"] = self.errors
        return body

    def response(self) -> HttpResponse:
        response = HttpResponse(
            json.dumps(self.body()), status=self.status, content_type=MEDIA_TYPE
        )
        for name, value in self.headers.items():
            response[name] = value
        return response


def unauthorized(detail: str) -> Problem:
    return Problem(401, detail, headers={"WWW-Authenticate": 'Bearer realm="vindaris"'})


def not_found(detail: str = "No such object in this organization.") -> Problem:
    return Problem(404, detail)


def forbidden(detail: str) -> Problem:
    return Problem(403, detail)


def invalid(detail: str, errors: Iterable[Mapping[str, str]] = ()) -> Problem:
    return Problem(422, detail, errors=errors)


def field_error(field: str, message: str) -> Problem:
    return invalid(message, [{"field": field, "message": message}])


def from_service_error(
    error: DjangoValidationError, fields: Mapping[str, str] | None = None
) -> Problem:
    """A service's ValidationError as a 422: on the fields it names (renamed by `fields`, the
    service's name → the API's), else on the request as a whole."""
    fields = fields or {}
    errors = []
    if hasattr(error, "error_dict"):
        for name, messages in error.error_dict.items():
            for e in messages:
                for message in e.messages:
                    errors.append({"field": fields.get(name, name), "message": message})
    messages_ = [e["message"] for e in errors] or list(error.messages)
    return invalid(" ".join(messages_), errors)


def _field_of(loc: tuple[Any, ...]) -> str:
    """Where ninja found a field ("body", <parameter>, "title") as the API names it: "title"
    for a body field, "limit" for a query parameter, "body" for the body as a whole."""
    source, rest = (loc[0], loc[1:]) if loc else ("body", ())
    if source == "body":
        rest = rest[1:]  # the view's parameter name: not part of the document sent
        return ".".join(str(p) for p in rest) or "body"
    return ".".join(str(p) for p in rest) or str(source)


# The API's exception handlers ---------------------------------------------------------------


def handle_problem(request: HttpRequest, exc: Problem) -> HttpResponse:
    return exc.response()


def handle_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = [
        {"field": _field_of(tuple(e.get("loc", ()))), "message": str(e.get("msg", "Invalid."))}
        for e in exc.errors
    ]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5]) or "Invalid input."
    return invalid(detail, errors).response()


def handle_service_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    return from_service_error(exc).response()


def handle_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc, AuthenticationError):
        return unauthorized(
            "Send a personal access token: Authorization: Bearer <token>."
        ).response()
    status = exc.status_code if exc.status_code in TYPES else 400
    if status in (400, 422):
        return Problem(status, str(exc), errors=[{"field": "body", "message": str(exc)}]).response()
    return Problem(status, str(exc)).response()


def handle_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return not_found().response()


def handle_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return forbidden(str(exc) or "Your role does not allow this.").response()


def handle_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    """Anything else: logged and signalled as Django does for a page (with the traceback, and
    the test client re-raises it), answered as a problem. A database that cannot be reached is
    an outage: 503 with Retry-After."""
    if isinstance(exc, OUTAGES):
        logger.warning("Database unavailable: %s", request.path, exc_info=exc)
        return Problem(
            503,
            "The service cannot reach its database right now.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        ).response()
    signals.got_request_exception.send(sender=None, request=request)
    logger.error(
        "Internal Server Error: %s",
        request.path,
        exc_info=exc,
        extra={"status_code": 500, "request": request},
    )
    return Problem(500, "Something went wrong on our side; it has been logged.").response()
