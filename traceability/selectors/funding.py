"""Effort against priority, judged on the goal tree: the rule the goals table, "what should we
stop?", the digest and the exports share.

Each active goal is judged among its active siblings (the active goals with the same parent;
a top-level goal among the active top-level goals): its share is the live effort in its whole
subtree (work on active goals, its own included) over the sum of its siblings' subtree
effort, and its implied share is its priority weight (P1=8 … P4=1) over the sum of theirs.
It is over-funded above (1 + tolerance) times its implied share and under-funded below
(1 - tolerance) times it. Siblings are compared with siblings, so a parent whose work sits
under its sub-goals is judged by that work, and a share means the same at any depth."""

from dataclasses import dataclass
from fractions import Fraction

from goals.models import PRIORITY_WEIGHT, Priority
from vindaris.lib.numbers import percent_label

# Half either way: a goal must get more than one and a half times, or less than half, of its
# due share before it is marked, so ordinary week-to-week noise marks nothing.
FUNDING_TOLERANCE = Fraction(1, 2)
# Over-funded goals of these priorities are where the dashboard suggests stopping work.
LOW_PRIORITIES = (Priority.P3, Priority.P4)
# The rule in one sentence, where the figures are shown.
FUNDING_RULE = (
    "Each active goal is compared with its active siblings: the live effort in its whole "
    "subtree, as a share of theirs, against the share its priority weight implies among them."
)
# A goal's place in the tree order: its priority, then its number, at each level.
_SORT_STEP = 10**12


def funding(*, effort: int, weight: int, group_effort: int, group_weight: int) -> str:
    """ "over", "under" or "" for a goal with `effort` live effort in its subtree and priority
    `weight`, among active siblings with `group_effort` subtree effort and `group_weight`
    weight in all (the goal's own included). Exact integer arithmetic, the comparison of
    `verdict_sql`. Nothing is marked while the siblings have no live effort at all."""
    if not group_effort or not group_weight:
        return ""
    t = FUNDING_TOLERANCE
    actual = t.denominator * effort * group_weight
    if actual > (t.denominator + t.numerator) * weight * group_effort:
        return "over"
    if actual < (t.denominator - t.numerator) * weight * group_effort:
        return "under"
    return ""


def weight_sql(priority: str) -> str:
    """A goal's priority weight (P1=8 … P4=1) from its `priority` column."""
    whens = " ".join(f"WHEN {int(p)} THEN {w}" for p, w in PRIORITY_WEIGHT.items())
    return f"CASE {priority} {whens} END"


def verdict_sql(effort: str, weight: str, group_effort: str, group_weight: str) -> str:
    """`funding` in SQL over four integer expressions: 'over', 'under' or ''."""
    t = FUNDING_TOLERANCE
    return f"""CASE
        WHEN {group_effort} = 0 OR {group_weight} = 0 THEN ''
        WHEN {t.denominator} * {effort} * {group_weight}
             > {t.denominator + t.numerator} * {weight} * {group_effort} THEN 'over'
        WHEN {t.denominator} * {effort} * {group_weight}
             < {t.denominator - t.numerator} * {weight} * {group_effort} THEN 'under'
        ELSE '' END"""


def tree_funding_sql() -> str:
    """The CTEs `tree`, `subtree` and `funding`, to follow `figures` (coverage's per-goal
    figures of the goals a member may see) in a WITH RECURSIVE list:
    - tree(id, path, sort_path, depth, effort, live_tasks): every goal with the ids from its
      root down to it, its place in the tree order (priority, then number, at each level), and
      its own live effort and tasks when it is active (0 when not: stranded work funds nothing);
    - subtree(goal_id, effort, live_tasks): live work on active goals in each goal's subtree;
    - funding: each active goal with its parent, depth, sort path, weight, subtree effort and
      live tasks, its siblings' effort and weight, and its verdict ('over', 'under' or '')."""
    weight = weight_sql("f.priority")
    return f"""
    tree(id, path, sort_path, depth, effort, live_tasks) AS (
        SELECT goal_id, ARRAY[goal_id], ARRAY[priority::bigint * {_SORT_STEP} + number], 0,
               CASE WHEN active THEN live_effort ELSE 0 END,
               CASE WHEN active THEN live_tasks ELSE 0 END
          FROM figures WHERE goal_id IS NOT NULL AND parent_id IS NULL
        UNION ALL
        SELECT f.goal_id, t.path || f.goal_id,
               t.sort_path || (f.priority::bigint * {_SORT_STEP} + f.number), t.depth + 1,
               CASE WHEN f.active THEN f.live_effort ELSE 0 END,
               CASE WHEN f.active THEN f.live_tasks ELSE 0 END
          FROM tree t JOIN figures f ON f.parent_id = t.id
         WHERE t.depth < 1000
    ),
    subtree(goal_id, effort, live_tasks) AS (
        SELECT a.id, sum(t.effort), sum(t.live_tasks)
          FROM tree t CROSS JOIN LATERAL unnest(t.path) a(id)
         GROUP BY a.id
    ),
    siblings AS (
        SELECT f.goal_id, f.parent_id, f.priority, t.depth, t.path, t.sort_path,
               {weight} AS weight, s.effort, s.live_tasks,
               sum(s.effort) OVER family AS group_effort,
               sum({weight}) OVER family AS group_weight
          FROM figures f
          JOIN tree t ON t.id = f.goal_id
          JOIN subtree s ON s.goal_id = f.goal_id
         WHERE f.active
        WINDOW family AS (PARTITION BY f.parent_id)
    ),
    funding AS (
        SELECT s.*,
               {verdict_sql("s.effort", "s.weight", "s.group_effort", "s.group_weight")} AS verdict
          FROM siblings s
    )"""  # noqa: S608 - CTE names and constants only


@dataclass(frozen=True)
class Funding:
    """One active goal's figures under the funding rule."""

    effort: int  # live effort in its subtree, on active goals
    weight: int
    group_effort: int  # of it and its active siblings
    group_weight: int

    @property
    def share(self) -> float | None:
        """Its share of its siblings' live effort, 0–1; None when they have none."""
        return self.effort / self.group_effort if self.group_effort else None

    @property
    def implied(self) -> float | None:
        """The share its priority weight implies among its siblings, 0–1."""
        return self.weight / self.group_weight if self.group_weight else None

    @property
    def share_label(self) -> str:
        return percent_label(self.share)

    @property
    def implied_label(self) -> str:
        return percent_label(self.implied)

    @property
    def verdict(self) -> str:
        return funding(
            effort=self.effort,
            weight=self.weight,
            group_effort=self.group_effort,
            group_weight=self.group_weight,
        )
