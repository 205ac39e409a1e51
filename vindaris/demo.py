"""Demo data for `make run`: two organizations, their members, and (as apps arrive) their strategy.

Idempotent: `seed()` does nothing when the demo organizations exist. Each app's part is a step in
`STEPS`, run in order inside one transaction, receiving the `DemoCast` built by the first step.

The strategy step builds, through the goals and work services with the demo users as actors:

Acme
- 3 company objectives (P1, P2, P3), all active, running from this quarter's start to the end
  of the next quarter.
- 10 team goals under them (3 + 3 + 4), each with an owner, a period of this quarter and 1–2
  outcomes; 12 outcomes in all, 10 of them with dated check-ins, some crediting finished tasks.
- 80 tasks: 75 under the team goals (every status, assignees, estimates, due dates) and
  5 orphaned ones captured without a goal (3 by quick-add, 2 by import). Acme allows capturing
  work without a goal for this, so `task_create` accepts them.
- "Evaluate acquiring Initech", a confidential team goal under the first objective (1 outcome,
  4 tasks, all assigned to Ola): seen by the admin, the lead (its owner) and Ola, with whom it
  is shared (can edit); planner@acme.example and the viewer never see it or its work.
- "Win back churned accounts" is put on hold after its work exists: its 5 live tasks are
  stranded (and suspect, since a status change is material); one of them is kept with a reason,
  which confirms its link, so 4 stay suspect.
- "Rewrite the help center" has its priority lowered P2 → P3 after its work exists: its 6 live
  tasks are suspect. So Acme shows 10 suspect links in all.
- "Fix the accessibility audit findings" is active with nothing live under it (its work is done
  or cancelled) and became active 30 days ago, past the 7-day grace period: a starved goal.

Globex (kept apart from Acme, and without goal-less capture)
- 1 company objective and 2 team goals under it, with 1 outcome each and a check-in each;
  10 tasks, all under goals.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from goals import services as goal_services
from goals.models import Direction, Goal, GoalStatus, Outcome, Priority
from vindaris.tenancy import services as tenancy_services
from vindaris.tenancy.models import Membership, Organization, Role, User
from work import services as work_services
from work.models import LIVE_STATUSES, Origin, Task, TaskStatus

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


ON_HOLD_GOAL = "Win back churned accounts"
KEPT_TASK = ("Exit-interview calls", "Six calls already booked with former customers this week.")
LOWERED_GOAL = "Rewrite the help center"
STARVED_GOAL = "Fix the accessibility audit findings"

ACME_STRATEGY = (
    DemoGoal(
        "Grow recurring revenue to €2M ARR",
        Priority.P1,
        "admin@acme.example",
        "More customers paying us every month, without adding sales headcount.",
        children=(
            DemoGoal(
                "Launch self-serve checkout",
                Priority.P1,
                "sam@acme.example",
                "Let teams under 20 seats buy without talking to sales.",
                outcomes=(
                    DemoOutcome(
                        "Self-serve sign-ups per month",
                        "sign-ups",
                        "40",
                        "200",
                        check_ins=(
                            (35, "55", "Beta checkout live for 10% of visitors."),
                            (21, "80", "Annual plans added."),
                            (7, "110", "Rolled out to every visitor."),
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
                outcomes=(
                    DemoOutcome(
                        "Paying customers in Germany",
                        "customers",
                        "5",
                        "40",
                        check_ins=(
                            (28, "9", "First reseller deal."),
                            (10, "14", "Two agencies signed."),
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
                outcomes=(
                    DemoOutcome(
                        "Churned accounts won back",
                        "accounts",
                        "0",
                        "25",
                        check_ins=((20, "3", "Three returned after the pricing change."),),
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
        children=(
            DemoGoal(
                "Cut onboarding time",
                Priority.P1,
                "planner@acme.example",
                outcomes=(
                    DemoOutcome(
                        "Median days to first value",
                        "days",
                        "14",
                        "3",
                        Direction.DECREASE,
                        check_ins=(
                            (30, "12", "Sample project on sign-up."),
                            (16, "9", "Checklist shipped."),
                            (3, "7", "Teammate invites during sign-up."),
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
                outcomes=(
                    DemoOutcome(
                        "Questions answered by the docs",
                        "%",
                        "20",
                        "60",
                        check_ins=((12, "31", "New search is live."),),
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
        children=(
            DemoGoal(
                "Bring p95 page load under 800 ms",
                Priority.P1,
                "ola@acme.example",
                outcomes=(
                    DemoOutcome(
                        "p95 page load",
                        "ms",
                        "2100",
                        "800",
                        Direction.DECREASE,
                        check_ins=(
                            (25, "1800", "Dashboard query fixes."),
                            (9, "1350", "Static assets from a CDN."),
                        ),
                    ),
                    DemoOutcome(
                        "Monthly uptime",
                        "%",
                        "99.5",
                        "99.95",
                        check_ins=((14, "99.8", "No incident since the failover drill."),),
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
                "Halve cloud spend per customer",
                Priority.P2,
                "ola@acme.example",
                outcomes=(
                    DemoOutcome(
                        "Cloud cost per customer",
                        "€/month",
                        "42",
                        "21",
                        Direction.DECREASE,
                        check_ins=((18, "37", "Reserved instances bought."),),
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
                outcomes=(
                    DemoOutcome(
                        "Controls in place",
                        "controls",
                        "10",
                        "64",
                        check_ins=(
                            (22, "24", "Policies written."),
                            (8, "35", "MFA enforced for engineering."),
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
                outcomes=(
                    DemoOutcome(
                        "Open audit findings",
                        "findings",
                        "38",
                        "0",
                        Direction.DECREASE,
                        check_ins=((26, "31", "Contrast fixes shipped."),),
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

# Captured without a goal: (title, origin, status, estimate)
ACME_ORPHANED = (
    ("Renew the office lease", Origin.QUICK_ADD, "T", 1),
    ("Update the company slide deck", Origin.QUICK_ADD, "P", 2),
    ("Investigate the spike in support tickets", Origin.QUICK_ADD, "T", 3),
    ("Migrate the old wiki", Origin.IMPORT, "T", 5),
    ("Clean up stale feature flags", Origin.IMPORT, "B", 3),
)

GLOBEX_STRATEGY = (
    DemoGoal(
        "Open the Lisbon engineering hub",
        Priority.P1,
        "admin@globex.example",
        children=(
            DemoGoal(
                "Hire the first twelve engineers",
                Priority.P1,
                "lead@globex.example",
                outcomes=(
                    DemoOutcome(
                        "Engineers hired",
                        "people",
                        "0",
                        "12",
                        check_ins=((10, "4", "Four offers accepted."),),
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
                "Fit out the office",
                Priority.P2,
                "pia@globex.example",
                outcomes=(
                    DemoOutcome(
                        "Desks ready",
                        "desks",
                        "0",
                        "40",
                        check_ins=((5, "10", "First floor furnished."),),
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
    outcomes=(
        DemoOutcome(
            "Due-diligence workstreams closed",
            "workstreams",
            "0",
            "6",
            check_ins=((5, "2", "Legal and finance reviews closed."),),
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
    """This quarter's first day, its last day, and the next quarter's last day."""
    start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)

    def next_quarter(d: date) -> date:
        return date(d.year + (d.month > 9), (d.month + 2) % 12 + 1, 1)

    following = next_quarter(start)
    return start, following - timedelta(days=1), next_quarter(following) - timedelta(days=1)


@dataclass
class _Builder:
    """Creates one organization's strategy through the services, deterministically."""

    organization: Organization
    cast: DemoCast
    lead: User
    planner: User
    assignees: list[Membership]
    rng: random.Random
    today: date = field(default_factory=timezone.localdate)
    goals: dict[str, Goal] = field(default_factory=dict)
    tasks: dict[str, Task] = field(default_factory=dict)

    def goal(self, spec: DemoGoal, parent: Goal | None = None) -> None:
        start, quarter_end, half_end = _quarter(self.today)
        goal = goal_services.goal_create(
            organization=self.organization,
            actor=self.lead,
            title=spec.title,
            description=spec.description,
            parent=parent,
            owner=self.cast.members[spec.owner],
            priority=spec.priority,
            status=GoalStatus.ACTIVE,
            start_date=start,
            end_date=half_end if parent is None else quarter_end,
            confidential=spec.confidential,
        )
        self.goals[spec.title] = goal
        outcomes = [self.outcome(goal, o) for o in spec.outcomes]
        owner = self.cast.user(spec.owner)
        actor = owner if self.cast.members[spec.owner].can_plan else self.planner
        team = [self.cast.members[email] for email in spec.team] or None
        done: list[Task] = []
        for n, (title, status, estimate) in enumerate(spec.tasks):
            outcome = outcomes[n % len(outcomes)] if outcomes else None
            task = self.task(goal, title, STATUS[status], estimate, outcome, actor, team=team)
            if task.status == TaskStatus.DONE:
                done.append(task)
        self.check_ins(spec, outcomes, done, owner)
        for child in spec.children:
            self.goal(child, parent=goal)

    def outcome(self, goal: Goal, spec: DemoOutcome) -> Outcome:
        return goal_services.outcome_create(
            organization=self.organization,
            actor=self.lead,
            goal=goal,
            title=spec.title,
            unit=spec.unit,
            baseline=Decimal(spec.baseline),
            target=Decimal(spec.target),
            direction=spec.direction,
            due_date=goal.end_date,
        )

    def task(
        self,
        goal: Goal | None,
        title: str,
        status: str,
        estimate: int,
        outcome: Outcome | None,
        actor: User,
        origin: str = Origin.GOAL_PAGE,
        team: list[Membership] | None = None,
    ) -> Task:
        # One task in ten is unassigned; live work is due soon (some of it overdue), finished
        # work was due in the past, cancelled work has no date.
        assignee = None if self.rng.random() < 0.1 else self.rng.choice(team or self.assignees)
        if status in LIVE_STATUSES:
            due: date | None = self.today + timedelta(days=self.rng.randint(-5, 45))
        elif status == TaskStatus.DONE:
            due = self.today - timedelta(days=self.rng.randint(3, 40))
        else:
            due = None
        task = work_services.task_create(
            organization=self.organization,
            actor=actor,
            goal=goal,
            title=title,
            origin=origin,
            outcome=outcome if self.rng.random() < 0.7 else None,
            assignee=assignee,
            estimate=estimate,
            due_date=due,
        )
        if status != TaskStatus.TODO:
            # Work moves on after it is planned: the history shows the status change.
            task = work_services.task_set_status(
                organization=self.organization,
                actor=assignee.user if assignee else actor,
                task=task,
                status=status,
            )
        self.tasks[title] = task
        return task

    def check_ins(
        self, spec: DemoGoal, outcomes: list[Outcome], done: list[Task], actor: User
    ) -> None:
        """Each check-in credits the next finished task of the goal, while there are some."""
        credit = iter(done)
        for outcome, outcome_spec in zip(outcomes, spec.outcomes, strict=True):
            for days_ago, value, note in outcome_spec.check_ins:
                task = next(credit, None)
                work_services.check_in_record(
                    organization=self.organization,
                    actor=actor,
                    outcome=outcome,
                    value=Decimal(value),
                    note=note,
                    checked_on=self.today - timedelta(days=days_ago),
                    credited_tasks=[task] if task else [],
                )


def _acme_strategy(cast: DemoCast) -> None:
    acme = cast.organizations["acme"]
    admin, lead, planner = (cast.user(f"{r}@acme.example") for r in ("admin", "lead", "planner"))
    # Acme captures work without a goal: the demo shows orphaned work found by the system.
    acme = tenancy_services.organization_update(
        organization=acme,
        actor=admin,
        name=acme.name,
        timezone_name=acme.timezone,
        digest_weekday=acme.digest_weekday,
        allow_goalless_work=True,
        starved_grace_days=acme.starved_grace_days,
    )
    builder = _Builder(
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
    for objective in ACME_STRATEGY:
        builder.goal(objective)
    builder.goal(CONFIDENTIAL_GOAL, parent=builder.goals[ACME_STRATEGY[0].title])
    goal_services.goal_share(
        organization=acme,
        actor=lead,
        goal=builder.goals[CONFIDENTIAL_GOAL.title],
        member=cast.members[CONFIDENTIAL_SHARED_WITH],
        access="change",
    )
    for title, origin, status, estimate in ACME_ORPHANED:
        builder.task(None, title, STATUS[status], estimate, None, planner, origin=origin)

    # The goal changes after its work exists, as it would in real life.
    goal_services.goal_update(
        organization=acme, actor=lead, goal=builder.goals[ON_HOLD_GOAL], status=GoalStatus.ON_HOLD
    )
    work_services.task_keep(
        organization=acme, actor=planner, task=builder.tasks[KEPT_TASK[0]], reason=KEPT_TASK[1]
    )
    goal_services.goal_update(
        organization=acme, actor=lead, goal=builder.goals[LOWERED_GOAL], priority=Priority.P3
    )
    # No service backdates activation; the demo needs this goal past its grace period to show
    # a starved goal on day one.
    Goal.objects.filter(organization=acme, pk=builder.goals[STARVED_GOAL].pk).update(
        activated_at=timezone.now() - timedelta(days=30)
    )


def _globex_strategy(cast: DemoCast) -> None:
    builder = _Builder(
        organization=cast.organizations["globex"],
        cast=cast,
        lead=cast.user("lead@globex.example"),
        planner=cast.user("pia@globex.example"),
        assignees=[m for email, m in cast.members.items() if email.endswith("@globex.example")],
        rng=random.Random(2025),
    )
    for objective in GLOBEX_STRATEGY:
        builder.goal(objective)


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
