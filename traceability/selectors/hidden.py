"""Who sees what, for hand-written SQL: the goals left out of a member's reads."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from goals import visibility as goal_visibility
from goals.models import Goal
from vindaris.tenancy.models import Membership, Organization

GOAL = Goal._meta.db_table

# Every confidential goal's subtree: what the "public" figures of a snapshot leave out. Both
# arms of the walk are pinned to the organization.
_CONFIDENTIAL = f"""
WITH RECURSIVE confidential(id) AS (
    SELECT g.id FROM {GOAL} g WHERE g.organization_id = %(org)s AND g.confidential
    UNION
    SELECT c.id FROM {GOAL} c JOIN confidential h ON c.parent_id = h.id
     WHERE c.organization_id = %(org)s
)
SELECT id FROM confidential
"""  # noqa: S608 - table names from the models; values are parameters


@dataclass(frozen=True)
class Hidden:
    """The goals left out of a read, for hand-written SQL: a CTE (`hidden_goal`) to put first
    in a WITH list, and a condition per goal column, with named parameters (`%(org)s`, the
    organization, is shared with the statement). For members who see everything both are
    empty: their reads carry no filter at all."""

    sql: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, viewer: Membership | None) -> "Hidden":
        """What `viewer` may not see (goals.visibility); nothing for admins, leads and jobs."""
        hidden = goal_visibility.hidden_goals_named_sql(viewer, org="org", prefix="viewer")
        return cls() if hidden is None else cls(hidden[0], hidden[1])

    @classmethod
    def confidential(cls, organization: Organization) -> "Hidden":
        """Every confidential goal's subtree, whoever may see it."""
        return cls(_CONFIDENTIAL, {"org": organization.pk})

    @property
    def nothing(self) -> bool:
        return self.sql is None

    def cte(self) -> str:
        """ "hidden_goal(id) AS (…)," to open a WITH list with."""
        return "" if self.sql is None else f"hidden_goal(id) AS MATERIALIZED ({self.sql}),"

    def excludes(self, column: str, *, nullable: bool = False) -> str:
        """ " AND <column> is not hidden" (a row without a goal stays when `nullable`)."""
        if self.sql is None:
            return ""
        condition = f"{column} NOT IN (SELECT id FROM hidden_goal)"  # noqa: S608 - a column name
        return f" AND ({column} IS NULL OR {condition})" if nullable else f" AND {condition}"
