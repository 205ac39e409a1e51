from django.urls import path

from .views import coverage, digest, exports, goal_change, goals, home, queues, trace
from .views.common import KINDS

# Organization pages: /o/<org_slug>/…
urlpatterns: list = [
    # The goal list, each goal with its work and gaps: /o/<org_slug>/goals/
    path("goals/", goals.goal_list, name="goal_list"),
    # Editing a goal or an outcome: /o/<org_slug>/goals/<n>/edit/, /o/<org_slug>/outcomes/<n>/edit/
    # (the change's consequences for the work are shown before it is saved)
    path("goals/<int:goal_number>/edit/", goal_change.goal_edit, name="goal_edit"),
    path("outcomes/<int:outcome_number>/edit/", goal_change.outcome_edit, name="outcome_edit"),
    # The home page, each member's start of the day: /o/<org_slug>/
    path("", home.org_home, name="org_home"),
    # The weekly digest: a member's own preference, and the emailed one-click unsubscribe link
    path("digest/", digest.digest_preferences, name="digest_preferences"),
    path("digest/unsubscribe/", digest.digest_unsubscribe, name="digest_unsubscribe"),
    path(
        "digest/unsubscribe/one-click/",
        digest.digest_unsubscribe_one_click,
        name="digest_unsubscribe_one_click",
    ),
    # The trace tree: /o/<org_slug>/trace/… (and the outcome page, the trace from an outcome)
    path("trace/", trace.trace, name="trace"),
    path(
        "trace/goals/<int:goal_number>/children/",
        trace.trace_goal_children,
        name="trace_goal_children",
    ),
    path("trace/no-goal/children/", trace.trace_no_goal_children, name="trace_no_goal_children"),
    path("trace/export.csv", exports.trace_export_csv, name="trace_export_csv"),
    path("trace/export.json", exports.trace_export_json, name="trace_export_json"),
    path("outcomes/<int:outcome_number>/", trace.outcome_detail, name="outcome_detail"),
    # The coverage dashboard and triage queues: /o/<org_slug>/coverage/…
    path("coverage/", coverage.coverage, name="coverage"),
    path("coverage/goals/", queues.goal_options, name="coverage_goal_options"),
    path("coverage/scorecard/", coverage.coverage_scorecard, name="coverage_scorecard"),
    # Each queue (and the full "what should we stop?" list): its page, CSV export, triage page
    # (a goal picker for chosen rows) and actions, e.g. coverage_orphaned, coverage_orphaned_act.
    *[
        pattern
        for kind in KINDS
        for pattern in (
            path(f"coverage/{kind}/", queues.queue, {"kind": kind}, name=f"coverage_{kind}"),
            path(
                f"coverage/{kind}.csv",
                exports.queue_csv,
                {"kind": kind},
                name=f"coverage_{kind}_csv",
            ),
            path(
                f"coverage/{kind}/triage/",
                queues.queue_triage,
                {"kind": kind},
                name=f"coverage_{kind}_triage",
            ),
            path(
                f"coverage/{kind}/act/",
                queues.queue_act,
                {"kind": kind},
                name=f"coverage_{kind}_act",
            ),
        )
    ],
]
