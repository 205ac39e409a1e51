"""The load `make load` and `make drill` put on Vindaris (bench/load.py runs locust with it).

Leads and planners of the benchmark's large organization, signed in through the log-in form,
doing what they do most: leads read the coverage dashboard, the trace and the queues and triage
the stop list; planners read goal pages and the work list, add tasks inline and change their
status. Every request is logged (LOAD_LOG, one JSON line each, with the wall-clock time), and
every write answered 2xx is listed with what it wrote, so that bench/load.py can check that each
one is in the database afterwards.

Settings from the environment: LOAD_ORG (slug), LOAD_LEADS and LOAD_PLANNERS (comma-separated
emails, password LOAD_PASSWORD), LOAD_GOALS (the goal numbers planners work on).
"""

import itertools
import json
import os
import random
import re
import threading
import time
import uuid
from typing import Any

from locust import HttpUser, between, events, task

ORG = os.environ.get("LOAD_ORG", "bench-l")
PASSWORD = os.environ.get("LOAD_PASSWORD", "")
LEADS = [e for e in os.environ.get("LOAD_LEADS", "").split(",") if e]
PLANNERS = [e for e in os.environ.get("LOAD_PLANNERS", "").split(",") if e]
GOALS = [int(n) for n in os.environ.get("LOAD_GOALS", "").split(",") if n]
HTMX = {"HX-Request": "true"}
LIVE = ("todo", "in_progress", "blocked")

_log_lock = threading.Lock()
_log = open(os.environ.get("LOAD_LOG", os.devnull), "a", encoding="utf-8")  # noqa: SIM115
_lead_emails = itertools.cycle(LEADS)
_planner_emails = itertools.cycle(PLANNERS)


def record(entry: dict[str, Any]) -> None:
    with _log_lock:
        _log.write(json.dumps(entry) + "\n")
        _log.flush()


@events.request.add_listener
def _logged(request_type, name, response_time, response_length, response=None, **kwargs):
    record(
        {
            "at": time.time(),
            "method": request_type,
            "name": name,
            "ms": response_time,
            "status": getattr(response, "status_code", 0),
            "write": request_type == "POST" and name != "log in",
        }
    )


class Member(HttpUser):
    abstract = True
    wait_time = between(0.5, 1.5)
    emails: Any = None

    def on_start(self) -> None:
        email = next(self.emails)
        page = self.client.get("/accounts/login/", name="log in page")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        self.client.post(
            "/accounts/login/",
            {
                "username": email,
                "password": PASSWORD,
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
            headers={"Referer": f"{self.host}/accounts/login/"},
            name="log in",
        )

    def csrf(self) -> dict[str, str]:
        return {
            "X-CSRFToken": self.client.cookies.get("csrftoken", ""),
            "Referer": f"{self.host}/o/{ORG}/",
        }

    def write(
        self, url: str, data: dict[str, Any], name: str, wrote: dict[str, Any], unless: str = ""
    ) -> str:
        """A POST as htmx sends it; a 2xx answer is listed with what it should have written
        (unless the answer says `unless`: nothing was to be written). The answer's text when it
        succeeded, else ""."""
        with self.client.post(
            url, data, headers={**HTMX, **self.csrf()}, name=name, catch_response=True
        ) as response:
            if 200 <= response.status_code < 300:
                if not unless or unless not in response.text:
                    record({"at": time.time(), "wrote": wrote})
                response.success()
                return response.text or " "
            response.failure(f"{response.status_code}")
            return ""


class Lead(Member):
    weight = 1
    emails = _lead_emails

    @task(4)
    def dashboard(self) -> None:
        self.client.get(f"/o/{ORG}/coverage/", name="coverage dashboard")

    @task(3)
    def trace(self) -> None:
        self.client.get(f"/o/{ORG}/trace/", name="trace")

    @task(2)
    def queue(self) -> None:
        kind = random.choice(("orphaned", "suspect", "starved"))
        self.client.get(f"/o/{ORG}/coverage/{kind}/", name="queue")

    @task(2)
    def triage(self) -> None:
        """Keep a task of the stranded queue going, with a reason (the row's inline action)."""
        page = self.client.get(f"/o/{ORG}/coverage/stranded/", name="queue")
        numbers = re.findall(r'name="tasks" value="(\d+)"', page.text)
        if not numbers:
            return
        reason = f"load {uuid.uuid4().hex[:12]}"
        self.write(
            f"/o/{ORG}/coverage/stranded/act/",
            {"action": "keep", "tasks": random.choice(numbers), "reason": reason, "via": "keep"},
            "triage: keep",
            {"kind": "kept", "reason": reason},
            # kept by someone else meanwhile: answered, nothing written
            unless="no longer",
        )


class Planner(Member):
    weight = 3
    emails = _planner_emails

    def on_start(self) -> None:
        super().on_start()
        self.mine: dict[int, str] = {}  # the tasks this planner added, with their status

    @task(4)
    def goal_page(self) -> None:
        self.client.get(f"/o/{ORG}/goals/{random.choice(GOALS)}/", name="goal page")

    @task(3)
    def work_list(self) -> None:
        self.client.get(f"/o/{ORG}/work/", name="work list")

    @task(2)
    def add_task(self) -> None:
        title = f"Load {uuid.uuid4().hex}"
        response = self.write(
            f"/o/{ORG}/goals/{random.choice(GOALS)}/tasks/add/",
            {"title": title, "estimate": "2", "outcome": "", "assignee": "", "due_date": ""},
            "inline add-task",
            {"kind": "task", "title": title},
        )
        added = re.search(r'<tr id="task-(\d+)"', response or "")
        if added:
            self.mine[int(added.group(1))] = "todo"

    @task(2)
    def set_status(self) -> None:
        """Move one of this planner's own tasks to another live status (so that each change
        answered 2xx must leave a history row)."""
        if not self.mine:
            return
        number = random.choice(list(self.mine))
        status = random.choice([s for s in LIVE if s != self.mine[number]])
        if self.write(
            f"/o/{ORG}/tasks/{number}/status/",
            {"status": status},
            "status change",
            {"kind": "status", "task": number, "status": status},
        ):
            self.mine[number] = status
