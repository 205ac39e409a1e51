"""Demo data for `make run`: two organizations, their members, and a quarter of their strategy.

Idempotent: `seed()` does nothing when the demo organizations exist. Each app's part is a step in
`STEPS`, run in order inside one transaction, receiving the `DemoCast` built by the first step.

The demo looks like week 10 of a 13-week quarter (the quarter started on the Monday nine weeks
before this week's). Each organization's story is replayed day by day over the last twelve weeks
(`STORY_DAYS`), through the goals and work services with the demo users as actors: every act
happens on a working day, a minute or more after the one before, and its rows are stamped with
that moment. After each act that may open or close a gap the reconciler runs as of that moment
(so flags are raised and resolved when the gaps appeared and went), and at the end of each day
the daily snapshot is taken as of 23:45 on the organization's clock (a quiet day's is the day
before's figures): the coverage trend is the replayed data's, day by day, and today's snapshot
is taken last, from the data as it stands. Dates are relative to today, so the demo always
looks current. Loading it takes about 2.5 s.

Acme (Europe/Berlin)
- 3 company objectives (P1, P2, P3), all active, running from this quarter's start to the end
  of the next quarter, set up on the story's first day with the imported backlog.
- 10 team goals under them (3 + 3 + 4), each with an owner, a period of this quarter and 1–2
  outcomes, set up over the planning weeks before the quarter; 12 outcomes in all, 10 of them
  checked in about every week or two, with values moving towards their targets; check-ins
  credit the goal's tasks finished since the last one.
- 80 tasks: 75 under the team goals (every status, assignees, estimates, due dates), planned
  from the goal pages over the weeks, started and finished days later, and 5 orphaned ones
  captured without a goal (3 by quick-add, 2 imported on the first day). Acme allows capturing
  work without a goal for this, so `task_create` accepts them.
- Retrofitted work (`RETROFITTED`): 5 tasks were quick-captured without a goal and linked to
  their goal days or weeks later (a "moved" history row from no goal). Two tasks were planned
  under another goal first and moved (`MOVED`).
- "Evaluate acquiring Initech", a confidential team goal under the first objective (1 outcome,
  4 tasks, all assigned to Ola), set up in week 4 of the quarter: seen by the admin, the lead
  (its owner) and Ola, with whom it is shared (can edit); planner@acme.example and the viewer
  never see it or its work.
- "Halve cloud spend per customer" had its outcome's target raised (€25 → €21) in week 3 of the
  quarter: its live work turned suspect, and Ola confirmed each link a few days later.
- "Win back churned accounts" is put on hold in week 6 of the quarter (`HOLD_DAYS_AGO`), after
  its work exists: its 5 live tasks are stranded (and suspect, since a status change is
  material); a few days later one of them is kept with a reason, which confirms its link, so 4
  stay suspect.
- "Rewrite the help center" has its priority lowered P2 → P3 twelve days ago, after its work
  exists: its 6 live tasks are suspect. So Acme shows 10 suspect links in all.
- "Fix the accessibility audit findings" is active with nothing live under it since its last
  task ended more than five weeks ago, past the 7-day grace period: a starved goal. "In-app
  guided tours" was starved for a few days before its first task was planned.

Globex (Europe/Lisbon; kept apart from Acme, and without goal-less capture)
- 1 company objective and 2 team goals under it, with 1 outcome each checked in every two weeks
  or so; 10 tasks, all under goals. "Fit out the office" started late and was starved for a few
  days before its work was planned; in week 3 of the quarter it was on hold for a week, waiting
  for the landlord, and its owner confirmed its links when it was active again.
"""

import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import partial

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Case, DateTimeField, F, Model, Q, Value, When
from django.utils import timezone

from goals import services as goal_services
from goals.models import CheckIn, Direction, Goal, GoalEvent, GoalStatus, Outcome, Priority
from traceability import services as traceability_services
from traceability.clock import local_date, organization_tz
from traceability.models import Snapshot
from vindaris.tenancy import services as tenancy_services
from vindaris.tenancy.models import Membership, Organization, Role, User
from work import gaps
from work import services as work_services
from work.models import LIVE_STATUSES, Origin, Task, TaskEvent, TaskStatus

DEMO_PASSWORD = "vindaris-demo"

# (email, name, organization slug, role)
DEMO_MEMBERS = [
    ("admin@acme.example", "Ada Admin", "acme", Role.ADMIN),
    ("lead@acme.example", "Lee Lead", "acme", Role.LEAD),
    ("planner@acme.example", "Pat Planner", "acme", Role.PLANNER),
    ("viewer@acme.example", "Vic Viewer", "acme", Role.VIEWER),
    ("sam@acme.example", "Sam Seller", "acme", Role.PLANNER),
    ("dee@acme.example", "Dee Designer", "acme", Role.PLANNER),
    ("ola@acme.example", "Ola Ops", "acme", Role.PLANNER),
    ("admin@globex.example", "Gus Admin", "globex", Role.ADMIN),
    ("lead@globex.example", "Gil Lead", "globex", Role.LEAD),
    ("pia@globex.example", "Pia Planner", "globex", Role.PLANNER),
]

# Where each demo organization lives: its days (snapshots) and working hours are on this clock.
DEMO_TIME_ZONES = {"acme": "Europe/Berlin", "globex": "Europe/Lisbon"}


@dataclass
class DemoCast:
    organizations: dict[str, Organization] = field(default_factory=dict)
    members: dict[str, Membership] = field(default_factory=dict)  # by email

    def user(self, email: str) -> User:
        return self.members[email].user


def _tenancy(cast: DemoCast) -> None:
    # One hash for every demo login: hashing is deliberately slow, and the password is public.
    password = make_password(DEMO_PASSWORD)
    users = {
        email: User.objects.create(email=email, name=name, password=password)
        for email, name, _, _ in DEMO_MEMBERS
    }
    for slug, name in [("acme", "Acme"), ("globex", "Globex")]:
        founder_email = next(e for e, _, s, r in DEMO_MEMBERS if s == slug and r == Role.ADMIN)
        cast.organizations[slug] = tenancy_services.organization_create(
            name=name, actor=users[founder_email], slug=slug
        )
    for email, _, slug, role in DEMO_MEMBERS:
        membership, _ = Membership.objects.get_or_create(
            organization=cast.organizations[slug], user=users[email], defaults={"role": role}
        )
        cast.members[email] = membership


# The story's calendar. Everything is counted in days before today on the organization's clock.
STORY_DAYS = 84  # twelve weeks: one snapshot a day, the coverage trend's span
QUARTER_WEEKS = 13
WEEK_OF_QUARTER = 10  # this week's number in the quarter the demo shows
SNAPSHOT_TIME = time(23, 45)  # the daily snapshot job's hour (settings' beat schedule)
WORKDAY_START = time(8, 30)
WORKDAY_MINUTES = 540  # acts of a day spread over about nine hours
RECONCILE_DELAY = timedelta(seconds=5)  # the outbox hands a write's reconcile over in seconds

# The strategy, as data. Task statuses in short: T to do, P in progress, B blocked, D done,
# C cancelled.
STATUS = {
    "T": TaskStatus.TODO,
    "P": TaskStatus.IN_PROGRESS,
    "B": TaskStatus.BLOCKED,
    "D": TaskStatus.DONE,
    "C": TaskStatus.CANCELLED,
}


@dataclass(frozen=True)
class DemoOutcome:
    title: str
    unit: str
    baseline: str
    target: str
    direction: str = Direction.INCREASE
    # (days ago, new value, note), oldest first
    check_ins: tuple[tuple[int, str, str], ...] = ()
    # The target it was set up with, when it was changed to `target` later (TARGET_RAISED).
    first_target: str = ""


@dataclass(frozen=True)
class DemoGoal:
    title: str
    priority: int
    owner: str  # email
    description: str = ""
    outcomes: tuple[DemoOutcome, ...] = ()
    tasks: tuple[tuple[str, str, int], ...] = ()  # (title, status, estimate)
    children: tuple["DemoGoal", ...] = ()
    confidential: bool = False
    # Emails of the only members its work is assigned to (everyone who plans, when empty).
    team: tuple[str, ...] = ()
    # Days ago it was set up (active from then), its first task planned (the same day when
    # None), its last task planned at the latest, and anything last happened to its work.
    created: int = 80
    work_from: int | None = None
    planned_until: int = 3
    worked_until: int = 1


ON_HOLD_GOAL = "Win back churned accounts"
HOLD_DAYS_AGO = 28  # in week 6 of the quarter, whatever today's weekday
KEPT_TASK = ("Exit-interview calls", "Six calls already booked with former customers this week.")
KEPT_DAYS_AGO = 25
LOWERED_GOAL = "Rewrite the help center"
LOWERED_DAYS_AGO = 12
STARVED_GOAL = "Fix the accessibility audit findings"
# (goal, outcome, days ago its target changed, days ago the goal's suspect links were confirmed)
TARGET_RAISED = ("Halve cloud spend per customer", "Cloud cost per customer", 49, 46)

# Quick-captured without a goal, then linked to the goal they are listed under:
# title: (days ago captured, days ago linked), three days apart at least (so on different days
# even when a weekend moves one of them to the Friday before)
RETROFITTED = {
    "Sponsor a Berlin SaaS meetup": (62, 55),
    "Checkout analytics events": (58, 52),
    "Delete unused disk snapshots": (50, 47),
    "Fix the confusing empty states": (44, 41),
    "Lazy-load charts": (18, 9),
}
# Planned under another goal first, then moved to the goal they are listed under:
# title: (first goal, days ago planned, days ago moved, why)
MOVED = {
    "Localize invoices": (
        "Launch self-serve checkout",
        50,
        38,
        "Invoices in German belong to the German launch.",
    ),
    "Tours in German": (
        "Expand into the German market",
        45,
        20,
        "The tours team builds every tour, German ones included.",
    ),
}

ACME_STRATEGY = (
    DemoGoal(
        "Grow recurring revenue to €2M ARR",
        Priority.P1,
        "admin@acme.example",
        "More customers paying us every month, without adding sales headcount.",
        created=83,
        children=(
            DemoGoal(
                "Launch self-serve checkout",
                Priority.P1,
                "sam@acme.example",
                "Let teams under 20 seats buy without talking to sales.",
                created=83,
                outcomes=(
                    DemoOutcome(
                        "Self-serve sign-ups per month",
                        "sign-ups",
                        "40",
                        "200",
                        check_ins=(
                            (56, "44", "Pricing page live; checkout still behind a flag."),
                            (49, "47", "Payment provider in test mode."),
                            (42, "55", "Beta checkout live for 10% of visitors."),
                            (35, "62", "Beta widened to 25%."),
                            (28, "80", "Annual plans added."),
                            (21, "86", "Half of all visitors see checkout."),
                            (14, "97", "Sales call dropped for small teams."),
                            (7, "110", "Rolled out to every visitor."),
                            (2, "118", "Steady week; VAT work still open."),
                        ),
                    ),
                ),
                tasks=(
                    ("Design the pricing page", "D", 3),
                    ("Integrate the payment provider", "D", 5),
                    ("Add annual billing", "D", 3),
                    ("VAT handling for EU customers", "P", 5),
                    ("Coupon codes for partners", "T", 2),
                    ("Dunning emails for failed payments", "T", 3),
                    ("Upgrade flow from trial to paid", "P", 3),
                    ("Checkout analytics events", "B", 2),
                    ("Drop the sales call for teams under 20", "D", 1),
                    ("Load-test the checkout", "T", 2),
                ),
            ),
            DemoGoal(
                "Expand into the German market",
                Priority.P2,
                "sam@acme.example",
                "Germany is our largest source of trial sign-ups that never convert.",
                created=80,
                outcomes=(
                    DemoOutcome(
                        "Paying customers in Germany",
                        "customers",
                        "5",
                        "40",
                        check_ins=(
                            (54, "6", "First German-speaking demo calls."),
                            (40, "8", "Terms of service in German signed off."),
                            (33, "9", "First reseller deal."),
                            (26, "11", "Meetup leads converting."),
                            (19, "12", "One agency pilot."),
                            (10, "14", "Two agencies signed."),
                            (3, "17", "Three more from the agencies."),
                        ),
                    ),
                ),
                tasks=(
                    ("Translate the product into German", "P", 8),
                    ("German terms of service and DPA", "D", 3),
                    ("Hire a German-speaking account executive", "P", 2),
                    ("Localize invoices", "T", 3),
                    ("Sponsor a Berlin SaaS meetup", "D", 2),
                    ("German landing page", "B", 3),
                    ("Partner programme for German agencies", "T", 5),
                    ("Support hours in CET", "C", 1),
                ),
            ),
            DemoGoal(
                ON_HOLD_GOAL,
                Priority.P3,
                "lead@acme.example",
                "Bring back accounts that left last year.",
                created=79,
                # Nothing happens to its work in the days before the hold (which may move to
                # the Friday before a weekend).
                planned_until=HOLD_DAYS_AGO + 5,
                worked_until=HOLD_DAYS_AGO + 3,
                outcomes=(
                    DemoOutcome(
                        "Churned accounts won back",
                        "accounts",
                        "0",
                        "25",
                        check_ins=(
                            (60, "1", "One account back after a call."),
                            (48, "2", "Second account back."),
                            (38, "3", "Three returned after the pricing change."),
                        ),
                    ),
                ),
                tasks=(
                    ("List accounts churned in the last year", "D", 1),
                    ("Win-back email sequence", "P", 3),
                    (KEPT_TASK[0], "T", 3),
                    ("Comeback discount", "T", 1),
                    ("Reactivation landing page", "B", 2),
                    ("Churn-reason dashboard", "T", 5),
                ),
            ),
        ),
    ),
    DemoGoal(
        "Become the easiest tool in our market to adopt",
        Priority.P2,
        "lead@acme.example",
        "New teams get value on day one and never need to ask us how.",
        created=83,
        children=(
            DemoGoal(
                "Cut onboarding time",
                Priority.P1,
                "planner@acme.example",
                created=81,
                outcomes=(
                    DemoOutcome(
                        "Median days to first value",
                        "days",
                        "14",
                        "3",
                        Direction.DECREASE,
                        check_ins=(
                            (58, "13", "Measured properly for the first time."),
                            (51, "12", "Sample project on sign-up."),
                            (44, "11", "Fewer questions in the first week."),
                            (37, "10", "Spreadsheet import in beta."),
                            (30, "9", "Checklist shipped."),
                            (23, "9", "Flat: empty states still confuse people."),
                            (16, "8", "Empty states reworked."),
                            (9, "7", "Teammate invites during sign-up."),
                            (2, "7", "Holding; import is the next big step."),
                        ),
                    ),
                    DemoOutcome("Trials that invite a teammate", "%", "18", "45"),
                ),
                tasks=(
                    ("Sample project on sign-up", "D", 3),
                    ("Import from spreadsheets", "P", 8),
                    ("Onboarding checklist", "D", 3),
                    ("Invite teammates during sign-up", "D", 2),
                    ("Fix the confusing empty states", "P", 3),
                    ("Welcome email series", "T", 2),
                    ("Single sign-on with Google", "B", 5),
                    ("Measure time to first value", "D", 2),
                    ("Onboarding call for accounts over 50 seats", "C", 1),
                ),
            ),
            DemoGoal(
                LOWERED_GOAL,
                Priority.P2,
                "dee@acme.example",
                "Answer the common questions before they reach support.",
                created=78,
                planned_until=LOWERED_DAYS_AGO + 3,
                outcomes=(
                    DemoOutcome(
                        "Questions answered by the docs",
                        "%",
                        "20",
                        "60",
                        check_ins=(
                            (50, "22", "Top questions audited."),
                            (36, "26", "First guides rewritten."),
                            (22, "31", "New search is live."),
                            (8, "33", "Feedback widget shows where docs fall short."),
                        ),
                    ),
                ),
                tasks=(
                    ("Audit the top 50 support questions", "D", 2),
                    ("New help center search", "D", 5),
                    ("Rewrite the getting-started guides", "P", 5),
                    ("Screenshots for the new navigation", "T", 2),
                    ("Video walkthroughs", "T", 5),
                    ("Docs feedback widget", "P", 2),
                    ("Redirect old help URLs", "T", 1),
                    ("API reference examples", "B", 3),
                ),
            ),
            DemoGoal(
                "In-app guided tours",
                Priority.P3,
                "dee@acme.example",
                created=72,
                work_from=62,
                outcomes=(DemoOutcome("New users finishing the first tour", "%", "0", "50"),),
                tasks=(
                    ("Choose a tour library", "D", 1),
                    ("Tour for creating the first goal", "P", 3),
                    ("Tour for the work list", "T", 3),
                    ("Tour analytics", "T", 2),
                    ("Let users skip and resume tours", "T", 2),
                    ("Tours in German", "T", 2),
                    ("Keyboard support in tours", "B", 1),
                ),
            ),
        ),
    ),
    DemoGoal(
        "Run a fast, reliable and efficient platform",
        Priority.P3,
        "lead@acme.example",
        created=82,
        children=(
            DemoGoal(
                "Bring p95 page load under 800 ms",
                Priority.P1,
                "ola@acme.example",
                created=81,
                outcomes=(
                    DemoOutcome(
                        "p95 page load",
                        "ms",
                        "2100",
                        "800",
                        Direction.DECREASE,
                        check_ins=(
                            (60, "2050", "Ten slowest pages profiled."),
                            (46, "1800", "Dashboard query fixes."),
                            (32, "1550", "N+1 queries gone from the dashboard."),
                            (18, "1350", "Static assets from a CDN."),
                            (4, "1250", "Organization settings cached."),
                        ),
                    ),
                    DemoOutcome(
                        "Monthly uptime",
                        "%",
                        "99.5",
                        "99.95",
                        check_ins=(
                            (52, "99.7", "One short outage during the database patch."),
                            (38, "99.75", "Failover drill done."),
                            (24, "99.8", "No incident since the failover drill."),
                            (4, "99.85", "Another clean month."),
                        ),
                    ),
                ),
                tasks=(
                    ("Profile the ten slowest pages", "D", 2),
                    ("Remove N+1 queries on the dashboard", "D", 3),
                    ("Serve static assets from a CDN", "D", 2),
                    ("Cache organization settings", "P", 2),
                    ("Paginate the activity feed", "P", 3),
                    ("Upgrade the database server", "B", 5),
                    ("Real-user monitoring", "T", 3),
                    ("Lazy-load charts", "T", 2),
                    ("Build reports in one query", "T", 8),
                ),
            ),
            DemoGoal(
                TARGET_RAISED[0],
                Priority.P2,
                "ola@acme.example",
                created=77,
                outcomes=(
                    DemoOutcome(
                        TARGET_RAISED[1],
                        "€/month",
                        "42",
                        "21",
                        Direction.DECREASE,
                        check_ins=(
                            (55, "41", "Every resource tagged by team."),
                            (41, "39", "Old disk snapshots deleted."),
                            (27, "37", "Reserved instances bought."),
                            (13, "35", "Worker fleet partly right-sized."),
                            (6, "34", "Night-time scaling in trial."),
                        ),
                        first_target="25",
                    ),
                ),
                tasks=(
                    ("Tag every cloud resource by team", "D", 2),
                    ("Buy reserved instances", "D", 1),
                    ("Delete unused disk snapshots", "D", 1),
                    ("Right-size the worker fleet", "P", 3),
                    ("Move logs to cold storage after 30 days", "T", 2),
                    ("Scale workers down at night", "T", 3),
                    ("Cost dashboard per customer", "B", 3),
                    ("Evaluate a cheaper region", "C", 2),
                ),
            ),
            DemoGoal(
                "SOC 2 Type I readiness",
                Priority.P2,
                "admin@acme.example",
                created=74,
                outcomes=(
                    DemoOutcome(
                        "Controls in place",
                        "controls",
                        "10",
                        "64",
                        check_ins=(
                            (60, "14", "Gap assessment done."),
                            (46, "20", "Auditor chosen."),
                            (36, "24", "Policies written."),
                            (22, "30", "Access reviews scheduled."),
                            (8, "35", "MFA enforced for engineering."),
                            (2, "38", "Vendor register half done."),
                        ),
                    ),
                ),
                tasks=(
                    ("Pick an auditor", "D", 1),
                    ("Write the access-control policy", "D", 2),
                    ("Enforce MFA for all staff", "P", 2),
                    ("Quarterly access reviews", "T", 2),
                    ("Background checks process", "T", 1),
                    ("Vendor risk register", "P", 3),
                    ("Incident response tabletop exercise", "T", 2),
                ),
            ),
            DemoGoal(
                STARVED_GOAL,
                Priority.P3,
                "dee@acme.example",
                created=76,
                planned_until=55,
                worked_until=36,
                outcomes=(
                    DemoOutcome(
                        "Open audit findings",
                        "findings",
                        "38",
                        "0",
                        Direction.DECREASE,
                        check_ins=(
                            (62, "36", "Audit report received."),
                            (48, "31", "Contrast fixes shipped."),
                            (38, "29", "Icon labels dropped for now."),
                        ),
                    ),
                ),
                tasks=(
                    ("Commission the accessibility audit", "D", 2),
                    ("Fix colour contrast on buttons", "D", 2),
                    ("Screen-reader labels for icons", "C", 1),
                ),
            ),
        ),
    ),
)

# Captured without a goal: (title, origin, status, estimate, days ago captured)
ACME_ORPHANED = (
    ("Migrate the old wiki", Origin.IMPORT, "T", 5, 83),
    ("Clean up stale feature flags", Origin.IMPORT, "B", 3, 83),
    ("Renew the office lease", Origin.QUICK_ADD, "T", 1, 50),
    ("Update the company slide deck", Origin.QUICK_ADD, "P", 2, 19),
    ("Investigate the spike in support tickets", Origin.QUICK_ADD, "T", 3, 4),
)

# Globex's office goal waited for its landlord: days ago put on hold, active again, and its
# links confirmed.
PAUSED_GOAL = "Fit out the office"
PAUSED_DAYS_AGO = (49, 42, 41)

GLOBEX_STRATEGY = (
    DemoGoal(
        "Open the Lisbon engineering hub",
        Priority.P1,
        "admin@globex.example",
        created=83,
        children=(
            DemoGoal(
                "Hire the first twelve engineers",
                Priority.P1,
                "lead@globex.example",
                created=83,
                outcomes=(
                    DemoOutcome(
                        "Engineers hired",
                        "people",
                        "0",
                        "12",
                        check_ins=(
                            (49, "1", "First offer accepted."),
                            (35, "2", "A second senior engineer."),
                            (21, "3", "Recruiter pipeline filling up."),
                            (10, "4", "Four offers accepted."),
                            (3, "5", "Fifth engineer signed."),
                        ),
                    ),
                ),
                tasks=(
                    ("Write the job descriptions", "D", 1),
                    ("Engage a local recruiter", "D", 2),
                    ("Run the first hiring panel", "P", 3),
                    ("Relocation package", "T", 2),
                    ("Technical interview kit", "P", 2),
                    ("Employer-brand evening in Lisbon", "T", 3),
                ),
            ),
            DemoGoal(
                PAUSED_GOAL,
                Priority.P2,
                "pia@globex.example",
                created=66,
                work_from=57,
                outcomes=(
                    DemoOutcome(
                        "Desks ready",
                        "desks",
                        "0",
                        "40",
                        check_ins=(
                            (26, "4", "Meeting rooms first."),
                            (12, "8", "Second delivery of desks."),
                            (5, "10", "First floor furnished."),
                        ),
                    ),
                ),
                tasks=(
                    ("Sign the lease", "D", 1),
                    ("Order furniture", "P", 2),
                    ("Set up the network", "B", 3),
                    ("Security badges", "T", 1),
                ),
            ),
        ),
    ),
)


# Confidential: seen by Acme's admin and lead (by role), its owner (the lead) and Ola, with
# whom it is shared, but not by planner@acme.example or the viewer.
CONFIDENTIAL_GOAL = DemoGoal(
    "Evaluate acquiring Initech",
    Priority.P1,
    "lead@acme.example",
    "Due diligence on buying our closest competitor in Germany. Not to be discussed outside "
    "the deal team.",
    confidential=True,
    team=("ola@acme.example",),
    created=42,
    outcomes=(
        DemoOutcome(
            "Due-diligence workstreams closed",
            "workstreams",
            "0",
            "6",
            check_ins=(
                (33, "1", "Commercial review closed."),
                (19, "2", "Legal and finance reviews closed."),
                (5, "3", "Customer contracts reviewed."),
            ),
        ),
    ),
    tasks=(
        ("Review Initech's customer contracts", "D", 3),
        ("Model the combined ARR", "P", 5),
        ("Draft the integration plan", "T", 3),
        ("Retention plan for Initech's engineers", "T", 2),
    ),
)
CONFIDENTIAL_SHARED_WITH = "ola@acme.example"


def _quarter(today: date) -> tuple[date, date, date]:
    """The quarter of which this week is week 10 (weeks start on Monday): its first day, its
    last day, and the next quarter's last day."""
    monday = today - timedelta(days=today.weekday())
    start = monday - timedelta(weeks=WEEK_OF_QUARTER - 1)
    end = start + timedelta(weeks=QUARTER_WEEKS) - timedelta(days=1)
    return start, end, end + timedelta(weeks=QUARTER_WEEKS)


# The fields the services stamp with the time they run, per model of the story: the replay
# moves each fresh value to the moment of the act that wrote it.
STAMPED: dict[type[Model], tuple[str, ...]] = {
    Goal: ("created_at", "updated_at", "activated_at", "material_change_at"),
    GoalEvent: ("created_at",),
    Outcome: ("created_at", "updated_at"),
    CheckIn: ("created_at",),
    Task: ("created_at", "updated_at", "link_confirmed_at"),
    TaskEvent: ("created_at",),
}
# What each kind of act writes (the models whose stamps it leaves).
GOAL_WRITES = (Goal, GoalEvent)
OUTCOME_WRITES = (Outcome, GoalEvent)
TARGET_WRITES = (Outcome, Goal, GoalEvent)
CHECK_IN_WRITES = (CheckIn, Outcome, GoalEvent)
TASK_WRITES = (Task, TaskEvent)


@dataclass
class _Act:
    """Something a member did on one day of the story; `order` keeps the day's acts in the
    order they were planned."""

    day: date
    order: int
    run: Callable[[], object]
    writes: tuple[type[Model], ...]
    reconcile: bool


@dataclass
class _Story:
    """One organization's quarter: acts planned on days of the story, then replayed in order
    through the services, each at its own moment, deterministically."""

    organization: Organization
    cast: DemoCast
    lead: User
    planner: User
    assignees: list[Membership]
    rng: random.Random
    # When the story is written (now): "today" is its date on the organization's clock.
    started: datetime = field(default_factory=timezone.now)
    acts: list[_Act] = field(default_factory=list)
    goals: dict[str, Goal] = field(default_factory=dict)
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    tasks: dict[str, Task] = field(default_factory=dict)
    # Titles of each goal's finished tasks (by goal id), in the order they were finished, and
    # those already credited in a check-in.
    finished: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    credited: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.tz = organization_tz(self.organization)
        self.today = local_date(self.organization, self.started)
        self.first_day = self.today - timedelta(days=STORY_DAYS - 1)
        self.quarter = _quarter(self.today)
        self.moment = self.at(self.first_day, time(8, 0))
        # The day's acts so far: (real time each began, its moment), and the models written.
        self.windows: list[tuple[datetime, datetime]] = []
        self.writes: set[type[Model]] = set()
        # The days on which a goal's grace period runs out (it may become starved).
        self.grace_ends: set[date] = set()

    # The calendar ---------------------------------------------------------------------------

    def at(self, day: date, clock: time) -> datetime:
        return datetime.combine(day, clock, tzinfo=self.tz)

    def workday(self, days_ago: int) -> date:
        """The working day `days_ago` days before today: a weekend's act happens on the Friday
        before (or on the weekend itself when that Friday is before the story)."""
        if days_ago < 1 or days_ago >= STORY_DAYS:
            raise ValueError(f"the story runs from {STORY_DAYS - 1} to 1 days ago: {days_ago}")
        day = self.today - timedelta(days=days_ago)
        friday = day - timedelta(days=max(0, day.weekday() - 4))
        return friday if friday >= self.first_day else day

    def on(
        self,
        days_ago: int,
        run: Callable[[], object],
        writes: tuple[type[Model], ...],
        *,
        reconcile: bool = False,
    ) -> None:
        """Plan an act that writes rows of `writes`; `reconcile`: it may open or close a gap,
        so the reconciler runs after it, as the job its write asks for would (it also runs at
        the end of each day with acts or with a grace period running out)."""
        self.acts.append(_Act(self.workday(days_ago), len(self.acts), run, writes, reconcile))

    # The replay ------------------------------------------------------------------------------

    def replay(self) -> None:
        """Every day of the story in order: its acts, then the day's snapshot; last, today's
        flags and snapshot from the data as it now stands."""
        organization = self.organization
        start = self.at(self.first_day, time(8, 0))
        Organization.objects.filter(pk=organization.pk).update(created_at=start)
        Membership.objects.filter(organization=organization).update(created_at=start)
        days: dict[date, list[_Act]] = defaultdict(list)
        for act in self.acts:
            days[act.day].append(act)
        snapshot: Snapshot | None = None
        quiet: list[Snapshot] = []
        for n in range(STORY_DAYS - 1):
            day = self.first_day + timedelta(days=n)
            acts = sorted(days.pop(day, []), key=lambda a: a.order)
            self.work(day, acts)
            end_of_day = self.at(day, SNAPSHOT_TIME)
            if snapshot is not None and not acts and day not in self.grace_ends:
                # A quiet day: no write, and no grace period ran out, so every figure is the
                # day before's (coverage depends on the clock only through the grace period)
                # and the reconciler would find nothing to do.
                quiet.append(_snapshot_copy(snapshot, day=day, taken_at=end_of_day))
                continue
            # The reconciler's last run of the day, then the daily snapshot.
            traceability_services.flags_reconcile(organization=organization, now=end_of_day)
            snapshot = traceability_services.snapshot_take(
                organization=organization, now=end_of_day
            )
        Snapshot.objects.bulk_create(quiet)
        now = timezone.now()
        traceability_services.flags_reconcile(organization=organization, now=now)
        traceability_services.snapshot_take(organization=organization, now=now)

    def work(self, day: date, acts: list[_Act]) -> None:
        """One day's acts, a few minutes apart in working hours, never two in one minute; the
        reconciler runs after each act that may open or close a gap, as the act's job would.
        At the end of the day every timestamp its acts wrote moves to the act's moment."""
        if not acts:
            return
        spread = max(2, min(40, 2 * WORKDAY_MINUTES // len(acts)))
        slot = self.at(day, WORKDAY_START) + timedelta(minutes=self.rng.randint(0, 30))
        for act in acts:
            slot += timedelta(minutes=self.rng.randint(1, spread), seconds=self.rng.randint(0, 59))
            self.begin(max(slot, self.moment + timedelta(minutes=1)))
            self.writes.update(act.writes)
            act.run()
            if act.reconcile:
                traceability_services.flags_reconcile(
                    organization=self.organization, now=self.moment + RECONCILE_DELAY
                )
        self.settle()

    def begin(self, moment: datetime) -> None:
        """What is written from now on happened at `moment`."""
        self.moment = moment
        self.windows.append((timezone.now(), moment))

    def tick(self) -> None:
        """Within one act: a minute or two later."""
        self.begin(self.moment + timedelta(minutes=self.rng.randint(1, 3), seconds=30))

    def settle(self) -> None:
        """Move each timestamp the day's services wrote to the moment of the act that wrote it:
        one UPDATE per model written that day. Until then the day's stamps are the real times
        they were written at, later than every settled one and in the acts' order, so every
        comparison the day's services and reconciles make between two stamps holds."""
        since = self.windows[0][0]
        for model, fields in STAMPED.items():
            if model not in self.writes:
                continue
            fresh = Q()
            for name in fields:
                fresh |= Q(**{f"{name}__gte": since})
            model._default_manager.filter(fresh, organization=self.organization).update(
                **{
                    name: Case(
                        *(
                            When(**{f"{name}__gte": real}, then=Value(moment))
                            for real, moment in reversed(self.windows)
                        ),
                        default=F(name),
                        output_field=DateTimeField(),
                    )
                    for name in fields
                }
            )
        self.windows.clear()
        self.writes.clear()

    # Planning: goals, outcomes, check-ins ----------------------------------------------------

    def plan_goal(self, spec: DemoGoal, parent: str | None = None) -> None:
        self.on(spec.created, partial(self.create_goal, spec, parent), GOAL_WRITES)
        for outcome in spec.outcomes:
            self.on(spec.created, partial(self.add_outcome, spec.title, outcome), OUTCOME_WRITES)
        self.plan_tasks(spec)
        owner = self.cast.user(spec.owner)
        for outcome in spec.outcomes:
            for days_ago, value, note in outcome.check_ins:
                self.on(
                    days_ago,
                    partial(self.check_in, outcome.title, Decimal(value), note, owner),
                    CHECK_IN_WRITES,
                )
        for child in spec.children:
            self.plan_goal(child, parent=spec.title)

    def grace_from(self, activated: datetime) -> None:
        """A goal became active at `activated`: its grace period runs out that many days later
        on the organization's clock."""
        self.grace_ends.add(activated.date() + timedelta(days=self.organization.starved_grace_days))

    def create_goal(self, spec: DemoGoal, parent: str | None) -> None:
        start, quarter_end, half_end = self.quarter
        self.grace_from(self.moment)
        self.goals[spec.title] = goal_services.goal_create(
            organization=self.organization,
            actor=self.lead,
            title=spec.title,
            description=spec.description,
            parent=self.goals[parent] if parent else None,
            owner=self.cast.members[spec.owner],
            priority=spec.priority,
            status=GoalStatus.ACTIVE,
            start_date=start,
            end_date=half_end if parent is None else quarter_end,
            confidential=spec.confidential,
        )

    def add_outcome(self, goal: str, spec: DemoOutcome) -> None:
        self.outcomes[spec.title] = goal_services.outcome_create(
            organization=self.organization,
            actor=self.lead,
            goal=self.goals[goal],
            title=spec.title,
            unit=spec.unit,
            baseline=Decimal(spec.baseline),
            target=Decimal(spec.first_target or spec.target),
            direction=spec.direction,
            due_date=self.goals[goal].end_date,
        )

    def check_in(self, outcome_title: str, value: Decimal, note: str, actor: User) -> None:
        """A check-in crediting the goal's tasks finished since its last one (two at most)."""
        outcome = self.outcomes[outcome_title]
        finished = self.finished[outcome.goal_id]
        credit = [title for title in finished if title not in self.credited][-2:]
        self.credited.update(credit)
        work_services.check_in_record(
            organization=self.organization,
            actor=actor,
            outcome=outcome,
            value=value,
            note=note,
            checked_on=self.moment.date(),
            credited_tasks=[self.tasks[title] for title in credit],
        )

    # Planning: tasks -------------------------------------------------------------------------

    def plan_tasks(self, spec: DemoGoal) -> None:
        """The goal's tasks, planned from its page over the weeks (the first on the day work
        on it began, most in the first weeks), each started and finished some days after it
        was planned."""
        # Planned by the goal's owner, or a planner when the owner does not plan.
        member = self.cast.members[spec.owner]
        actor = member.user if member.can_plan else self.planner
        team = [self.cast.members[email] for email in spec.team] or self.assignees
        first = spec.created if spec.work_from is None else spec.work_from
        span = first - spec.planned_until
        for n, (title, code, estimate) in enumerate(spec.tasks):
            status = STATUS[code]
            # Most of it planned in the first weeks, the rest as the quarter goes on, the last
            # in the last days.
            planned = first
            if n:
                share = (n / (len(spec.tasks) - 1)) ** 1.5
                planned -= round(span * share) + self.rng.randint(-3, 2)
                planned = min(first, max(spec.planned_until, planned))
            outcome = None
            if spec.outcomes and self.rng.random() < 0.7:
                outcome = spec.outcomes[n % len(spec.outcomes)].title
            assignee = None if self.rng.random() < 0.1 else self.rng.choice(team)
            doer = assignee.user if assignee else actor
            base = planned
            if title in RETROFITTED:
                planned, base = RETROFITTED[title]
                steps = self.transitions(status, base, spec.worked_until)
                due = self.due(status, steps)
                capture = partial(self.capture, title, Origin.QUICK_ADD, estimate, due)
                self.on(planned, capture, TASK_WRITES, reconcile=True)
                why = f"Captured in a hurry; this is work for {spec.title}."
                link = partial(self.link, title, spec.title, outcome, why, doer)
                self.on(base, link, TASK_WRITES, reconcile=True)
            elif title in MOVED:
                first_goal, planned, moved, why = MOVED[title]
                steps = self.transitions(status, planned, spec.worked_until)
                due = self.due(status, steps)
                self.on(
                    planned,
                    partial(
                        self.create_task, title, first_goal, None, assignee, estimate, due, actor
                    ),
                    TASK_WRITES,
                )
                move = partial(self.move, title, spec.title, why, actor)
                self.on(moved, move, TASK_WRITES, reconcile=True)
            else:
                steps = self.transitions(status, base, spec.worked_until)
                due = self.due(status, steps)
                self.on(
                    planned,
                    partial(
                        self.create_task, title, spec.title, outcome, assignee, estimate, due, actor
                    ),
                    TASK_WRITES,
                )
            for days_ago, to in steps:
                self.plan_status(days_ago, title, to, doer)

    def plan_status(self, days_ago: int, title: str, status: str, actor: User) -> None:
        """A status change; one that ends the work (done, cancelled) may close its gaps."""
        run = partial(self.set_status, title, status, actor)
        self.on(days_ago, run, TASK_WRITES, reconcile=status not in LIVE_STATUSES)

    def transitions(self, status: str, planned: int, until: int) -> list[tuple[int, str]]:
        """(days ago, status) of the task's changes after it was planned `planned` days ago:
        work starts within days, takes days to weeks, and nothing happens after `until`."""

        def later(days_ago: int, low: int, high: int) -> int:
            return max(until, days_ago - self.rng.randint(low, high))

        if status == TaskStatus.TODO:
            return []
        if status == TaskStatus.CANCELLED:
            return [(later(planned, 2, 15), status)]
        started = later(planned, 0, 6)
        if status == TaskStatus.IN_PROGRESS:
            return [(started, status)]
        return [(started, TaskStatus.IN_PROGRESS), (later(started, 2, 10), status)]

    def due(self, status: str, steps: list[tuple[int, str]]) -> date | None:
        """Live work is due soon (some of it overdue), finished work around the day it was
        finished, cancelled work has no date."""
        if status in LIVE_STATUSES:
            return self.today + timedelta(days=self.rng.randint(-5, 45))
        if status == TaskStatus.DONE:
            return self.today - timedelta(days=steps[-1][0] - self.rng.randint(-3, 4))
        return None

    def create_task(
        self,
        title: str,
        goal: str,
        outcome: str | None,
        assignee: Membership | None,
        estimate: int,
        due: date | None,
        actor: User,
    ) -> None:
        """From the goal's page."""
        self.tasks[title] = work_services.task_create(
            organization=self.organization,
            actor=actor,
            goal=self.goals[goal],
            title=title,
            origin=Origin.GOAL_PAGE,
            outcome=self.outcomes[outcome] if outcome else None,
            assignee=assignee,
            estimate=estimate,
            due_date=due,
        )

    def capture(self, title: str, origin: str, estimate: int, due: date | None) -> None:
        """Work captured without a goal (quick-add or import), by a planner."""
        self.tasks[title] = work_services.task_create(
            organization=self.organization,
            actor=self.planner,
            goal=None,
            title=title,
            origin=origin,
            estimate=estimate,
            due_date=due,
        )

    def link(self, title: str, goal: str, outcome: str | None, why: str, actor: User) -> None:
        """Captured work linked to the goal it serves: retrofitted."""
        self.tasks[title] = work_services.task_move(
            organization=self.organization,
            actor=actor,
            task=self.tasks[title],
            to_goal=self.goals[goal],
            reason=why,
            outcome=self.outcomes[outcome] if outcome else None,
        )

    def move(self, title: str, goal: str, why: str, actor: User) -> None:
        self.tasks[title] = work_services.task_move(
            organization=self.organization,
            actor=actor,
            task=self.tasks[title],
            to_goal=self.goals[goal],
            reason=why,
        )

    def set_status(self, title: str, status: str, actor: User) -> None:
        task = work_services.task_set_status(
            organization=self.organization, actor=actor, task=self.tasks[title], status=status
        )
        self.tasks[title] = task
        if status == TaskStatus.DONE and task.goal_id is not None:
            self.finished[task.goal_id].append(title)

    # Changes to goals after their work exists ------------------------------------------------

    def update_goal(self, title: str, actor: User, **fields: object) -> None:
        self.goals[title] = goal_services.goal_update(
            organization=self.organization, actor=actor, goal=self.goals[title], **fields
        )
        if fields.get("status") == GoalStatus.ACTIVE:
            self.grace_from(self.moment)

    def raise_target(self, outcome: str, target: Decimal, actor: User) -> None:
        self.outcomes[outcome] = goal_services.outcome_update(
            organization=self.organization,
            actor=actor,
            outcome=self.outcomes[outcome],
            target=target,
        )

    def confirm_links(self, goal: str, actor: User, reason: str) -> None:
        """A planner confirms the goal's suspect links one by one from the suspect queue."""
        suspect = Task.objects.filter(
            gaps.SUSPECT, organization=self.organization, goal=self.goals[goal]
        ).order_by("number")
        for n, task in enumerate(suspect):
            if n:
                self.tick()
            work_services.task_confirm_link(
                organization=self.organization,
                actor=actor,
                task=task,
                reason=reason,
            )

    def keep(self, title: str, reason: str, actor: User) -> None:
        self.tasks[title] = work_services.task_keep(
            organization=self.organization, actor=actor, task=self.tasks[title], reason=reason
        )

    def share(self, goal: str, email: str, actor: User) -> None:
        goal_services.goal_share(
            organization=self.organization,
            actor=actor,
            goal=self.goals[goal],
            member=self.cast.members[email],
            access="change",
        )


def _snapshot_copy(snapshot: Snapshot, *, day: date, taken_at: datetime) -> Snapshot:
    """The same figures, recorded on another day."""
    fields = {
        f.attname: getattr(snapshot, f.attname)
        for f in Snapshot._meta.concrete_fields
        if not f.primary_key
    }
    return Snapshot(**{**fields, "date": day, "taken_at": taken_at})


def _set_up(cast: DemoCast, slug: str, *, allow_goalless_work: bool) -> Organization:
    """The organization's settings as its admin left them before the story: its time zone, and
    whether it captures work without a goal."""
    organization = cast.organizations[slug]
    admin = cast.user(f"admin@{slug}.example")
    return tenancy_services.organization_update(
        organization=organization,
        actor=admin,
        name=organization.name,
        timezone_name=DEMO_TIME_ZONES[slug],
        digest_weekday=organization.digest_weekday,
        allow_goalless_work=allow_goalless_work,
        starved_grace_days=organization.starved_grace_days,
    )


def _acme_strategy(cast: DemoCast) -> None:
    # Acme captures work without a goal: the demo shows orphaned work found by the system.
    acme = _set_up(cast, "acme", allow_goalless_work=True)
    lead, planner = cast.user("lead@acme.example"), cast.user("planner@acme.example")
    story = _Story(
        organization=acme,
        cast=cast,
        lead=lead,
        planner=planner,
        assignees=[
            m
            for email, m in cast.members.items()
            if email.endswith("@acme.example") and m.can_plan and m.role != Role.ADMIN
        ],
        rng=random.Random(2024),
    )
    for title, origin, code, estimate, days_ago in ACME_ORPHANED:
        steps = story.transitions(STATUS[code], days_ago, 1)
        due = story.due(STATUS[code], steps)
        capture = partial(story.capture, title, origin, estimate, due)
        story.on(days_ago, capture, TASK_WRITES, reconcile=True)
        for day, to in steps:
            story.plan_status(day, title, to, planner)
    for objective in ACME_STRATEGY:
        story.plan_goal(objective)
    story.plan_goal(CONFIDENTIAL_GOAL, parent=ACME_STRATEGY[0].title)
    story.on(
        CONFIDENTIAL_GOAL.created,
        partial(story.share, CONFIDENTIAL_GOAL.title, CONFIDENTIAL_SHARED_WITH, lead),
        (GoalEvent,),
    )

    # Goals change after their work exists, as they would in real life.
    goal, outcome, raised, confirmed = TARGET_RAISED
    owner = cast.user("ola@acme.example")
    target = next(
        o.target
        for g in ACME_STRATEGY
        for c in g.children
        for o in c.outcomes
        if o.title == outcome
    )
    raise_target = partial(story.raise_target, outcome, Decimal(target), owner)
    story.on(raised, raise_target, TARGET_WRITES, reconcile=True)
    confirm = partial(story.confirm_links, goal, owner, "Still the right work for the new target.")
    story.on(confirmed, confirm, TASK_WRITES, reconcile=True)
    hold = partial(story.update_goal, ON_HOLD_GOAL, lead, status=GoalStatus.ON_HOLD)
    story.on(HOLD_DAYS_AGO, hold, GOAL_WRITES, reconcile=True)
    keep = partial(story.keep, KEPT_TASK[0], KEPT_TASK[1], planner)
    story.on(KEPT_DAYS_AGO, keep, TASK_WRITES, reconcile=True)
    lower = partial(story.update_goal, LOWERED_GOAL, lead, priority=Priority.P3)
    story.on(LOWERED_DAYS_AGO, lower, GOAL_WRITES, reconcile=True)
    story.replay()


def _globex_strategy(cast: DemoCast) -> None:
    globex = _set_up(cast, "globex", allow_goalless_work=False)
    story = _Story(
        organization=globex,
        cast=cast,
        lead=cast.user("lead@globex.example"),
        planner=cast.user("pia@globex.example"),
        assignees=[m for email, m in cast.members.items() if email.endswith("@globex.example")],
        rng=random.Random(2025),
    )
    for objective in GLOBEX_STRATEGY:
        story.plan_goal(objective)
    # The office waited for the landlord for a week: on hold, then active again, and its owner
    # confirmed that its work still stood.
    lead, owner = cast.user("lead@globex.example"), cast.user("pia@globex.example")
    held, resumed, confirmed = PAUSED_DAYS_AGO
    hold = partial(story.update_goal, PAUSED_GOAL, lead, status=GoalStatus.ON_HOLD)
    story.on(held, hold, GOAL_WRITES, reconcile=True)
    resume = partial(story.update_goal, PAUSED_GOAL, lead, status=GoalStatus.ACTIVE)
    story.on(resumed, resume, GOAL_WRITES, reconcile=True)
    confirm = partial(story.confirm_links, PAUSED_GOAL, owner, "The fit-out plan is unchanged.")
    story.on(confirmed, confirm, TASK_WRITES, reconcile=True)
    story.replay()


STEPS: list[Callable[[DemoCast], None]] = [_tenancy, _acme_strategy, _globex_strategy]


def seed() -> bool:
    """Load the demo; return False (and change nothing) if it is already there."""
    with transaction.atomic():
        if Organization.objects.filter(slug__in=["acme", "globex"]).exists():
            return False
        cast = DemoCast()
        for step in STEPS:
            step(cast)
    return True
