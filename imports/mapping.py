"""The mapping from a tool's words to Vindaris's: statuses, people, groupings, estimates.

The dry run proposes one (statuses by the tool's category or name, people by email, a grouping
to the goal an earlier import made of it, else no goal); the user edits it in the preview; the
apply follows it exactly.
"""

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from work.models import TaskStatus

# What a grouping becomes: no goal (the work lands in the orphaned queue), a new draft goal
# named after it, or an existing goal ("G-12").
NO_GOAL, NEW_GOAL = "none", "new"
GOAL_CHOICE = re.compile(r"^G-(\d{1,9})$")

# Status names most tools use, for tools (or exports) without a category.
_NAMED = {
    TaskStatus.TODO: (
        "open",
        "to do",
        "todo",
        "backlog",
        "new",
        "triage",
        "selected for development",
        "reopened",
        "not started",
        "ready",
    ),
    TaskStatus.IN_PROGRESS: (
        "in progress",
        "in review",
        "review",
        "doing",
        "started",
        "in development",
        "in qa",
        "testing",
        "code review",
    ),
    TaskStatus.BLOCKED: ("blocked", "on hold", "waiting", "impeded"),
    TaskStatus.DONE: (
        "done",
        "closed",
        "resolved",
        "complete",
        "completed",
        "shipped",
        "released",
        "merged",
        "fixed",
    ),
    TaskStatus.CANCELLED: (
        "cancelled",
        "canceled",
        "won't do",
        "wont do",
        "won't fix",
        "wontfix",
        "duplicate",
        "declined",
        "rejected",
        "not planned",
        "obsolete",
    ),
}
NAMED_STATUS = {name: status for status, names in _NAMED.items() for name in names}


def suggested_status(name: str, category: str) -> str:
    """Our status for the tool's: its name when it says more than the category (a Done-category
    "Won't Do" is cancelled, an In-Progress "Blocked" blocked), else the category, else todo."""
    named = NAMED_STATUS.get(name.strip().lower())
    if named in (TaskStatus.CANCELLED, TaskStatus.BLOCKED):
        return named
    if category in TaskStatus.values:
        return category
    return named or TaskStatus.TODO


def points(estimate: Decimal | None, default: int) -> int:
    """Effort points from the tool's estimate: whole points, rounded up (0.5 → 1); none → the
    mapping's default."""
    if estimate is None or estimate < 0:
        return default
    return min(int(math.ceil(estimate)), 10_000)


@dataclass
class Mapping:
    statuses: dict[str, str] = field(default_factory=dict)  # tool status name → ours
    people: dict[str, int | None] = field(default_factory=dict)  # as written → membership id
    groups: dict[str, str] = field(default_factory=dict)  # grouping key → none / new / G-12
    default_estimate: int = 1

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Mapping":
        return cls(
            statuses=dict(data.get("statuses", {})),
            people=dict(data.get("people", {})),
            groups=dict(data.get("groups", {})),
            default_estimate=int(data.get("default_estimate", 1)),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "statuses": self.statuses,
            "people": self.people,
            "groups": self.groups,
            "default_estimate": self.default_estimate,
        }
