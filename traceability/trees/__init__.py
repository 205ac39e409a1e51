"""Every read of the trace tree: roll-ups over whole subtrees, pages of children, the path to a
focused node, the outcome page and the export streams.

Roll-ups are set-based: one recursive CTE walks down from every goal asked about at once and
sums each subtree's per-goal coverage rows (GoalCoverage: live work, effort, gaps and outcome
progress, kept by the database with every write), so the tree's root and every expansion run a
fixed number of queries and read a row per goal rather than its tasks, however large the
organization is. A goal's own tasks come a page at a time from an index in the tree's order.
The gap conditions are work.gaps', so the tree, the flags and the coverage figures mean the
same thing by "stranded", "suspect" and "starved".

What a member may see is goals.visibility's rule: querysets start from `visible_goals`,
hand-written SQL leaves out `selectors.Hidden.of(membership)`. A hidden goal's subtree is left
out of every roll-up, list and export; for admins and leads nothing is.

- rollups: a subtree's figures, for a page of goals at once;
- children: a node's children (sub-goals, outcomes, tasks), a page at a time, and the "No goal"
  root;
- tree: the roots, the focused path and the whole tree a page shows;
- outcome: the outcome page's reads;
- export: the traceability matrix and the graph, streamed.
"""

from .base import EXPORT_CHUNK, MAX_DEPTH, PAGE_SIZE, TASK_ORDER, visible_goals
from .children import (
    KINDS,
    NOTHING_PINNED,
    Children,
    Goalless,
    GoalNode,
    Pinned,
    Slice,
    goal_children,
    goalless_children,
    goalless_summary,
)
from .export import MatrixRow, graph_edges, graph_nodes, traceability_matrix
from .outcome import check_in_series, outcome_for_page, tasks_credited, tasks_moving
from .rollups import Rollup, goal_rollups
from .tree import (
    Focus,
    TraceFilters,
    Tree,
    focus_resolve,
    goal_path_ids,
    goal_with_path,
    parse_key,
    trace_roots,
    trace_tree,
)

__all__ = [
    "EXPORT_CHUNK",
    "KINDS",
    "MAX_DEPTH",
    "NOTHING_PINNED",
    "PAGE_SIZE",
    "TASK_ORDER",
    "Children",
    "Focus",
    "GoalNode",
    "Goalless",
    "MatrixRow",
    "Pinned",
    "Rollup",
    "Slice",
    "TraceFilters",
    "Tree",
    "check_in_series",
    "focus_resolve",
    "goal_children",
    "goal_path_ids",
    "goal_rollups",
    "goal_with_path",
    "goalless_children",
    "goalless_summary",
    "graph_edges",
    "graph_nodes",
    "outcome_for_page",
    "parse_key",
    "tasks_credited",
    "tasks_moving",
    "trace_roots",
    "trace_tree",
    "traceability_matrix",
    "visible_goals",
]
