"""Every read of flags, snapshots, coverage and the digest.

The gap conditions are work.gaps', so the persisted flags, the work list filters and the
counts on goal pages all mean the same thing by "orphaned", "stranded", "suspect" and
"starved". Hand-written SQL pins every table it reads to the organization (`%(org)s`) and
leaves out what the reader may not see (`Hidden`).

- flags: the gaps behind the flags, as the reconciler reads them, and the open flags;
- coverage: the headline, the dashboard's overview, snapshot figures and the trend;
- funding: effort against priority, judged among each active goal's siblings;
- goal_table: the dashboard's goals table;
- scorecard: the three properties of strategy-led work, week by week;
- queues: the triage queues, the stop list, their exports and the goal picker;
- digest: the weekly digest's recipients, audiences and sections.
"""

from .coverage import (
    Coverage,
    Headline,
    OverFunded,
    Overview,
    TrendDay,
    coverage_figures,
    coverage_headline,
    coverage_overview,
    coverage_trend,
    figures_sql,
    goal_filter_sql,
    linked_ratio,
    snapshot_on_or_before,
    snapshots_between,
)
from .digest import (
    SEES_EVERYTHING,
    Audience,
    DigestContent,
    DigestCount,
    DigestFlag,
    DigestVisibility,
    LinkedRatios,
    digest_content,
    digest_linked_ratios,
    digest_recipients,
    digest_visibility,
    membership_for_digest,
    membership_for_unsubscribe,
)
from .flags import (
    RESOLVING_EVENTS,
    TASK_FLAG_CONDITIONS,
    open_flags,
    starved_goal_ids,
    starved_goals_params,
    starved_goals_sql,
    task_gaps_sql,
)
from .funding import (
    FUNDING_RULE,
    FUNDING_TOLERANCE,
    LOW_PRIORITIES,
    Funding,
    funding,
    tree_funding_sql,
    weight_sql,
)
from .goal_table import (
    GOAL_SORTS,
    GOAL_TABLE_SIZE,
    Activity,
    GoalRow,
    GoalTable,
    GoalTableQuery,
)
from .hidden import Hidden
from .queues import (
    GOAL_KEY,
    GOAL_PICKER_SIZE,
    OPEN_STRANDED,
    QUEUE_PAGE_SIZE,
    TASK_QUEUES,
    StopItem,
    active_goal_search,
    queue_export_starved,
    queue_export_tasks,
    queue_membership,
    queue_tasks,
    queue_tasks_by_number,
    starved_goals,
    stop_candidates,
    stop_candidates_export,
)
from .scorecard import (
    OLD_GAP_DAYS,
    SCORECARD_WEEKS,
    Retrofitted,
    Scorecard,
    ScoreWeek,
    public_scorecard,
    scorecard,
)

__all__ = [
    "FUNDING_RULE",
    "OLD_GAP_DAYS",
    "SCORECARD_WEEKS",
    "FUNDING_TOLERANCE",
    "GOAL_KEY",
    "GOAL_PICKER_SIZE",
    "GOAL_SORTS",
    "GOAL_TABLE_SIZE",
    "LOW_PRIORITIES",
    "OPEN_STRANDED",
    "QUEUE_PAGE_SIZE",
    "RESOLVING_EVENTS",
    "SEES_EVERYTHING",
    "TASK_FLAG_CONDITIONS",
    "TASK_QUEUES",
    "Activity",
    "Audience",
    "Coverage",
    "Funding",
    "DigestContent",
    "DigestCount",
    "DigestFlag",
    "DigestVisibility",
    "GoalRow",
    "GoalTable",
    "GoalTableQuery",
    "Headline",
    "Hidden",
    "LinkedRatios",
    "OverFunded",
    "Retrofitted",
    "ScoreWeek",
    "Scorecard",
    "Overview",
    "StopItem",
    "TrendDay",
    "active_goal_search",
    "coverage_figures",
    "coverage_headline",
    "coverage_overview",
    "coverage_trend",
    "digest_content",
    "digest_linked_ratios",
    "digest_recipients",
    "digest_visibility",
    "figures_sql",
    "funding",
    "goal_filter_sql",
    "linked_ratio",
    "membership_for_digest",
    "membership_for_unsubscribe",
    "open_flags",
    "queue_export_starved",
    "queue_export_tasks",
    "queue_membership",
    "queue_tasks",
    "public_scorecard",
    "queue_tasks_by_number",
    "scorecard",
    "snapshot_on_or_before",
    "snapshots_between",
    "starved_goal_ids",
    "starved_goals",
    "starved_goals_params",
    "starved_goals_sql",
    "stop_candidates",
    "stop_candidates_export",
    "task_gaps_sql",
    "tree_funding_sql",
    "weight_sql",
]
