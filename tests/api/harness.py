"""The API as the isolation harness and the role matrix ask it: every operation under
/api/v1/o/<slug>/, enumerated from the OpenAPI schema (itself checked against the URL patterns,
so no route escapes), each sent with its path filled from samples and a valid body, so that the
question reaches the access checks instead of stopping at the body's validation.

A new operation with a body fails the suite until it has one in BODIES; one with a new URL
keyword until the samples have it."""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.test import Client

from api.v1 import api

# Keywords of a path that name an object of the organization: asking about another's, or a
# hidden one, must answer 404.
OBJECT_KEYWORDS = ("goal_number", "outcome_number", "task_number")

# A valid body for each operation that takes one; strings are formatted with the samples.
BODIES: dict[str, dict[str, Any]] = {
    "create_goal": {"title": "Enter the Nordics", "priority": "P3"},
    "update_goal": {"title": "Acquire Initech and Initrode"},
    "create_check_in": {"value": "150", "credited_tasks": ["T-{task_number}"]},
    "create_goal_task": {"title": "Draft the letter of intent", "outcome": "O-{outcome_number}"},
    "capture_task": {"title": "A loose end"},
    "set_task_status": {"status": "in_progress"},
    "move_task": {"to_goal": "G-{open_goal_number}", "reason": "It serves the launch"},
    "confirm_task": {"reason": "Still the right goal"},
    "keep_task": {"reason": "The contract is signed"},
}


@dataclass(frozen=True)
class Operation:
    name: str  # the operationId, which is also the URL pattern's name
    method: str  # GET, POST, PATCH
    path: str  # /api/v1/o/{org_slug}/goals/{goal_number}/
    has_body: bool

    @property
    def writes(self) -> bool:
        return self.method != "GET"

    @property
    def on_object(self) -> bool:
        return any(f"{{{k}}}" in self.path for k in OBJECT_KEYWORDS)

    def url(self, samples: Mapping[str, str]) -> str:
        keys = re.findall(r"{(\w+)}", self.path)
        missing = [k for k in keys if k not in samples]
        if missing:
            raise KeyError(f"No sample for {missing} in {self.path}")
        return self.path.format(**samples)

    def body(self, samples: Mapping[str, str]) -> Any:
        if not self.has_body:
            return None
        if self.name not in BODIES:
            raise KeyError(f"Teach tests/api/harness.py BODIES a valid body for {self.name}")
        return _formatted(BODIES[self.name], samples)

    def send(self, client: Client, samples: Mapping[str, str]) -> Any:
        url = self.url(samples)
        if self.method == "GET":
            return client.get(url)
        body = json.dumps(self.body(samples) or {})
        return getattr(client, self.method.lower())(url, body, "application/json")


def _formatted(value: Any, samples: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**samples)
    if isinstance(value, list):
        return [_formatted(v, samples) for v in value]
    if isinstance(value, dict):
        return {k: _formatted(v, samples) for k, v in value.items()}
    return value


def operations() -> list[Operation]:
    """Every operation that authenticates a token (those under /o/<slug>/), by path and method."""
    schema = api.get_openapi_schema()
    found = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            if not operation.get("security"):
                continue
            found.append(
                Operation(
                    name=operation["operationId"],
                    method=method.upper(),
                    path=path,
                    has_body="requestBody" in operation,
                )
            )
    return sorted(found, key=lambda o: (o.path, o.method))


def token_client(token: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {token}"})
