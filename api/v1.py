"""The public API, version 1: /api/v1/o/<org-slug>/…, described at /api/v1/openapi.json and
browsable at /api/v1/docs.

django-ninja: the Pydantic schemas that validate requests and shape answers (api.schemas) are
what the OpenAPI schema is made from, and each operation is a plain view over the same
selectors and services as the pages. Every operation under /o/<slug>/ authenticates a personal
access token (api.access); every error is a problem document (api.problems)."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from ninja import NinjaAPI, Router
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.operation import Operation

from . import problems
from .access import TokenAuth, in_member_zone
from .endpoints import coverage, goals, tasks
from .schemas import Problem

# The problems an organization operation may answer, besides its success.
READ_PROBLEMS = {
    401: "No token, or one that is malformed, unknown, revoked or expired.",
    403: "The token's member's role, or the token's access, does not allow this.",
    404: "No such organization for this token, or no such object that its member may see.",
    422: "A parameter or a field of the body is not valid (see `errors`).",
    429: "Too many requests from this token: wait for Retry-After seconds.",
}
WRITE_PROBLEMS = {**READ_PROBLEMS, 400: "The body is not JSON."}


class VindarisAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        """The view's name, which is also its URL's name: `list_goals`, `create_goal_task`."""
        return operation.view_func.__name__

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        """Ninja's schema, with the problems each operation may answer declared as
        `application/problem+json` documents."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(problem.pop("$defs", {}))
        components["Problem"] = problem
        content = {problems.MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for operations in schema.get("paths", {}).values():
            for method, operation in operations.items():
                if not operation.get("security"):
                    continue
                answers = READ_PROBLEMS if method == "get" else WRITE_PROBLEMS
                for status, description in answers.items():
                    operation["responses"][status] = {
                        "description": description,
                        "content": content,
                    }
        return schema


api = VindarisAPI(
    title="Vindaris API",
    version="1",
    description=(
        "Goals and the work meant to achieve them, for the tools around Vindaris. "
        "Authenticate with a personal access token (`Authorization: Bearer vnd_…`) created on "
        "your organization's Settings → API tokens page; it acts as you, with your role, and "
        "sees what you see. Objects are named by their numbers (`G-12`, `O-3`, `T-345`), "
        "members by their email. Lists are paginated by cursor; errors are RFC 9457 problem "
        "documents."
    ),
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url="/docs",
)

# Every error is a problem document (api.problems), whichever layer raised it.
HANDLERS: dict[type[Exception], Any] = {
    problems.Problem: problems.handle_problem,
    NinjaValidationError: problems.handle_validation,
    DjangoValidationError: problems.handle_service_error,
    HttpError: problems.handle_http_error,
    Http404: problems.handle_not_found,
    PermissionDenied: problems.handle_permission_denied,
    Exception: problems.handle_error,
}
for exception, handler in HANDLERS.items():
    api.add_exception_handler(exception, handler)

# Everything of an organization: /api/v1/o/<org-slug>/…
organization = Router(auth=TokenAuth())
organization.add_decorator(in_member_zone)
organization.add_router("", goals.router)
organization.add_router("", tasks.router)
organization.add_router("", coverage.router)
organization.add_router("", coverage.members_router)
api.add_router("/o/{org_slug}", organization)
