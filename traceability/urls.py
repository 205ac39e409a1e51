from django.urls import path

from .views import digest, trace

# Organization pages: /o/<org_slug>/…
urlpatterns: list = [
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
    path("trace/export.csv", trace.trace_export_csv, name="trace_export_csv"),
    path("trace/export.json", trace.trace_export_json, name="trace_export_json"),
    path("outcomes/<int:outcome_number>/", trace.outcome_detail, name="outcome_detail"),
    # The coverage dashboard and triage queues: /o/<org_slug>/coverage/…
]
