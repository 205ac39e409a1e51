"""The sample files the import tests read: exports as each tool writes them, and broken files.

Each `write_*` function writes one realistic export, the same bytes every time (a fixed seed);
`write_all(folder)` writes them all, the broken files included. The files are checked in, so
tests read real files; `tests/imports/test_samples.py` asserts this module still writes the
checked-in bytes. After changing a generator, run `python -m tests.imports.samples.make` and
update the tests' hand-computed figures.

The exports follow the tools' documented columns:
- `jira_cloud.csv`: Jira Cloud's "Export Excel CSV (all fields)": Status Category, numeric
  `Parent` ids with `Parent summary`, repeated Labels/Component/s/Sprint columns, people by
  display name, dates like `25/Jun/24 2:05 PM`, newest issue first (children before parents).
- `jira_server.csv`: Jira Server/Data Center: no Status Category, `Custom field (Epic Link)`
  holding epic keys, sub-tasks' numeric `Parent id`, people by email or username, 24-hour
  dates (`25/Jun/20 14:05`), oldest issue first.
- `linear.csv`: Linear's export (projects, initiatives, sub-issues, Completed/Canceled dates,
  the `'` it puts before cells starting with + - = @).
- `github_issues.json`: `gh issue list --json number,title,state,stateReason,labels,milestone,
  assignees,createdAt,closedAt,body,url`, newest first.
- `github_project.tsv`: a GitHub Projects view's "Export view data" (draft items included).
- `asana.csv`: Asana's project export (sections, subtasks naming their parent, several
  projects on one task).
"""

import csv
import io
import json
import random
import sys
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent

# name, email, GitHub login
PEOPLE = [
    ("Ada Lovelace", "ada.lovelace@example.com", "adal"),
    ("Grace Hopper", "grace.hopper@example.com", "ghopper"),
    ("Alan Turing", "alan.turing@example.com", "aturing"),
    ("Katherine Johnson", "katherine.johnson@example.com", "kjohnson"),
    ("Edsger Dijkstra", "edsger.dijkstra@example.com", "ewd"),
    ("Barbara Liskov", "barbara.liskov@example.com", "bliskov"),
    ("Donald Knuth", "donald.knuth@example.com", "dek"),
    ("Margaret Hamilton", "margaret.hamilton@example.com", "mhamilton"),
    ("Linus Svensson", "linus.svensson@example.com", "lsvensson"),
    ("Chiamaka Okafor", "chiamaka.okafor@example.com", "cokafor"),
    ("Jürgen Weiß", "juergen.weiss@example.com", "jweiss"),
    ("Zoë Martín", "zoe.martin@example.com", "zmartin"),
]

VERBS = [
    "Add",
    "Fix",
    "Remove",
    "Refactor",
    "Document",
    "Speed up",
    "Migrate",
    "Test",
    "Redesign",
    "Audit",
    "Localize",
    "Instrument",
]
OBJECTS = [
    "checkout page",
    "invoice PDF export",
    "SSO login",
    "password reset email",
    "billing webhooks",
    "refund flow",
    "search index",
    "audit log",
    "CSV export",
    "mobile navigation",
    "onboarding checklist",
    "rate limiter",
    "dark mode",
    "notification settings",
    "currency rounding",
    "team invitations",
    "API pagination",
    "session timeout",
    "dashboard charts",
    "tax calculation",
]
QUALIFIERS = [
    "",
    "",
    "",
    " for enterprise accounts",
    " on Safari",
    " in the EU region",
    " behind a feature flag",
    " for annual plans",
    " (follow-up)",
    " after the 3.2 release",
]
SENTENCES = [
    "Customers on the annual plan see the wrong total after a coupon is applied.",
    'Support says the page "just spins" for accounts with more than 500 invoices.',
    "The current implementation queries the ledger once per line item.",
    "We agreed in the planning meeting to ship this behind a flag first, then ramp up.",
    "Acceptance: the export matches the ledger to the cent, including refunds.",
    "See the incident review from last quarter for the background.",
    "Design has a mock-up in the shared folder; copy is still being reviewed.",
    "This blocks the partner launch, so it should land before the code freeze.",
    "Measure p95 before and after; the target is under 300 ms.",
    "Edge case: accounts created before 2019 have no billing address.",
    "Legal needs to sign off on the wording, in English, German and Spanish.",
    "Rollback plan: turn the flag off; no data migration is involved.",
]
LABELS = ["backend", "frontend", "tech-debt", "customer", "security", "performance", "ux", "infra"]
COMPONENTS = ["Billing", "Accounts", "Reporting", "Web app", "Mobile", "Platform"]


def _title(rng: random.Random) -> str:
    return f"{rng.choice(VERBS)} {rng.choice(OBJECTS)}{rng.choice(QUALIFIERS)}"


def _description(rng: random.Random) -> str:
    """One to four sentences; some in paragraphs with a list (line breaks inside the cell)."""
    sentences = rng.sample(SENTENCES, rng.randint(1, 4))
    if rng.random() < 0.3:
        items = "\n".join(f"- {item}" for item in rng.sample(OBJECTS, 3))
        return f"{sentences[0]}\n\nSteps:\n{items}\n\n" + " ".join(sentences[1:])
    if rng.random() < 0.15:
        return ""
    return " ".join(sentences)


def _csv_text(rows: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerows(rows)
    return out.getvalue()


def _write(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8"))


def _jira_stamp(moment: datetime, *, twelve_hour: bool) -> str:
    if twelve_hour:
        hour = moment.hour % 12 or 12
        half = "AM" if moment.hour < 12 else "PM"
        return f"{moment.day:02d}/{moment:%b}/{moment:%y} {hour}:{moment:%M} {half}"
    return f"{moment.day:02d}/{moment:%b}/{moment:%y} {moment:%H:%M}"


def _jira_day(day: date) -> str:
    return f"{day.day:02d}/{day:%b}/{day:%y}"


# Jira -----------------------------------------------------------------------------------------

# Jira Cloud: (status, its category, resolution when done); weights below.
CLOUD_STATUSES = [
    ("To Do", "To Do", ""),
    ("Backlog", "To Do", ""),
    ("Selected for Development", "To Do", ""),
    ("In Progress", "In Progress", ""),
    ("In Review", "In Progress", ""),
    ("Blocked", "In Progress", ""),
    ("QA", "In Progress", ""),
    ("Done", "Done", "Done"),
    ("Ready to ship", "Done", "Done"),
    ("Won't Do", "Done", "Won't Do"),
    ("Closed", "Done", "Duplicate"),
]
CLOUD_WEIGHTS = [10, 8, 3, 9, 6, 3, 3, 30, 3, 4, 2]

EPICS_CLOUD = [
    "Self-serve refunds",
    "Invoices that finance trusts",
    "EU data residency",
    "Faster checkout",
    "Enterprise SSO",
    "Tax engine replacement",
    "Mobile billing screens",
    "Partner payouts",
    "Dunning and retries",
    "Usage-based pricing",
    "Accessibility pass",
    "Reporting for finance",
]


def write_jira_cloud(path: Path) -> None:
    """Jira Cloud, project PM ("Payments"): 12 epics, 300 stories, tasks and bugs (most under an
    epic through the numeric `Parent` id), 90 sub-tasks under them; newest first, so a child
    always comes before its parent. Story points in `Custom field (Story point estimate)`
    ("3.0"), one of them "TBD"; one due date that is no date (31/Jun/24)."""
    rng = random.Random(17_001)
    header = (
        ["Summary", "Issue key", "Issue id", "Issue Type", "Status", "Project key"]
        + ["Project name", "Priority", "Resolution", "Assignee", "Reporter", "Created"]
        + ["Updated", "Resolved", "Due date", "Labels", "Labels", "Labels"]
        + ["Component/s", "Component/s", "Sprint", "Sprint", "Description"]
        + ["Custom field (Story point estimate)", "Parent", "Parent summary", "Status Category"]
    )
    start = datetime(2024, 1, 8, 9, 0)
    issues = []  # in creation order
    number = 0

    def add(kind: str, summary: str, parent: dict[str, str] | None) -> dict[str, str]:
        nonlocal number
        number += 1
        created = start + timedelta(hours=number * 7, minutes=rng.randint(0, 59))
        issue = {"kind": kind, "summary": summary, "key": f"PM-{number}"}
        issue["id"] = str(10_000 + number * 3)
        issue["created"] = created.isoformat()
        issue["parent_id"] = parent["id"] if parent else ""
        issue["parent_summary"] = parent["summary"] if parent else ""
        issues.append(issue)
        return issue

    epics = [add("Epic", title, None) for title in EPICS_CLOUD]
    subtasks = 0
    for _ in range(300):
        kind = rng.choices(["Story", "Task", "Bug"], [6, 3, 2])[0]
        epic = rng.choice(epics) if rng.random() < 0.85 else None
        story = add(kind, _title(rng), epic)
        while subtasks < 90 and rng.random() < 0.3:
            subtasks += 1
            add("Sub-task", _title(rng), story)
    rows = [header]
    for issue in reversed(issues):
        status, category, resolution = rng.choices(CLOUD_STATUSES, CLOUD_WEIGHTS)[0]
        if issue["kind"] == "Epic":
            status, category, resolution = rng.choice(CLOUD_STATUSES[3:4] + CLOUD_STATUSES[:1])
        created = datetime.fromisoformat(issue["created"])
        updated = created + timedelta(days=rng.randint(0, 60), hours=rng.randint(0, 9))
        assignee = rng.choice(PEOPLE)[0] if rng.random() < 0.85 else ""
        labels = rng.sample(LABELS, rng.choice([0, 0, 1, 1, 2, 3]))
        components = rng.sample(COMPONENTS, rng.choice([0, 1, 1, 2]))
        due = ""
        if rng.random() < 0.35:
            due = _jira_day((created + timedelta(days=rng.randint(7, 90))).date())
        points = ""
        if issue["kind"] in ("Story", "Task", "Bug") and rng.random() < 0.8:
            points = f"{rng.choice([1, 2, 3, 5, 8, 13])}.0"
        sprints = [f"PM Sprint {rng.randint(1, 20)}"] if rng.random() < 0.6 else []
        rows.append(
            [
                issue["summary"],
                issue["key"],
                issue["id"],
                issue["kind"],
                status,
                "PM",
                "Payments",
                rng.choice(["Highest", "High", "Medium", "Medium", "Low"]),
                resolution if category == "Done" else "",
                assignee,
                rng.choice(PEOPLE)[0],
                _jira_stamp(created, twelve_hour=True),
                _jira_stamp(updated, twelve_hour=True),
                _jira_stamp(updated, twelve_hour=True) if category == "Done" else "",
                due,
                *(labels + ["", "", ""])[:3],
                *(components + ["", ""])[:2],
                *(sprints + ["", ""])[:2],
                _description(rng),
                points,
                issue["parent_id"],
                issue["parent_summary"],
                category,
            ]
        )
    # What real exports carry now and then: story points that are no number, a day that is not.
    points_at, due_at = (
        header.index("Custom field (Story point estimate)"),
        header.index("Due date"),
    )
    pointed = next(row for row in rows[40:] if row[points_at])
    pointed[points_at] = "TBD"
    rows[60][due_at] = "31/Jun/24"
    _write(path, _csv_text(rows))


SERVER_STATUSES = [
    ("Open", ""),
    ("Reopened", ""),
    ("In Progress", ""),
    ("In Review", ""),
    ("Blocked", ""),
    ("Awaiting Deploy", ""),
    ("Resolved", "Fixed"),
    ("Closed", "Fixed"),
    ("Closed", "Won't Fix"),
    ("Closed", "Duplicate"),
]
SERVER_WEIGHTS = [12, 2, 9, 5, 3, 3, 10, 20, 4, 2]

EPICS_SERVER = [
    ("Zero-downtime deploys", "Deploys"),
    ("Observability baseline", "Observability"),
    ("Postgres 16 upgrade", "PG16"),
    ("Cost reduction FY25", "Cost"),
    ("On-call health", "On-call"),
    ("Disaster recovery drill", "DR"),
    ("Kubernetes migration", "K8s"),
    ("Secrets rotation", "Secrets"),
]


def write_jira_server(path: Path) -> None:
    """Jira Server/Data Center, project OPS: 8 epics (Epic Name set), 260 stories and tasks
    (about four in five with an Epic Link), 70 sub-tasks (numeric Parent id); oldest first.
    No Status Category column: statuses are told by name. Assignees by email, a few by
    username; story points in `Custom field (Story Points)`."""
    rng = random.Random(17_002)
    header = (
        ["Issue key", "Issue id", "Parent id", "Summary", "Issue Type", "Status"]
        + ["Priority", "Resolution", "Assignee", "Reporter", "Created", "Updated"]
        + ["Due Date", "Labels", "Labels", "Component/s", "Description"]
        + ["Custom field (Epic Link)", "Custom field (Epic Name)", "Custom field (Story Points)"]
        + ["Sprint"]
    )
    start = datetime(2023, 9, 4, 8, 30)
    rows = [header]
    epics: list[str] = []
    works: list[tuple[str, str]] = []  # (key, id) of stories and tasks
    subtasks = 0
    number = 0
    while number < 8 + 260 + 70:
        number += 1
        key, issue_id = f"OPS-{number}", str(20_000 + number)
        created = start + timedelta(hours=number * 11, minutes=rng.randint(0, 59))
        updated = created + timedelta(days=rng.randint(0, 45), minutes=rng.randint(0, 600))
        if number <= len(EPICS_SERVER):
            kind, (summary, epic_name) = "Epic", EPICS_SERVER[number - 1]
        elif works and subtasks < 70 and rng.random() < 0.22:
            kind, summary, epic_name = "Sub-task", _title(rng), ""
        else:
            kind, summary, epic_name = rng.choice(["Story", "Task", "Task"]), _title(rng), ""
        parent_id = epic_link = points = ""
        if kind == "Sub-task":
            subtasks += 1
            parent_id = rng.choice(works[-10:])[1]
        elif kind != "Epic":
            works.append((key, issue_id))
            if rng.random() < 0.8:
                epic_link = rng.choice(epics)
            if rng.random() < 0.75:
                points = str(rng.choice([1, 2, 3, 5, 8]))
        else:
            epics.append(key)
        status, resolution = rng.choices(SERVER_STATUSES, SERVER_WEIGHTS)[0]
        person = rng.choice(PEOPLE)
        assignee = person[1] if rng.random() < 0.8 else person[2]
        if rng.random() < 0.1:
            assignee = ""
        due = ""
        if rng.random() < 0.3:
            due = _jira_day((created + timedelta(days=rng.randint(5, 60))).date())
        labels = rng.sample(LABELS, rng.choice([0, 1, 2]))
        rows.append(
            [
                key,
                issue_id,
                parent_id,
                summary,
                kind,
                status,
                rng.choice(["Blocker", "Critical", "Major", "Minor", "Trivial"]),
                resolution,
                assignee,
                rng.choice(PEOPLE)[1],
                _jira_stamp(created, twelve_hour=False),
                _jira_stamp(updated, twelve_hour=False),
                due,
                *(labels + ["", ""])[:2],
                rng.choice(COMPONENTS + [""]),
                _description(rng),
                epic_link,
                epic_name,
                points,
                f"OPS Sprint {rng.randint(30, 52)}" if rng.random() < 0.5 else "",
            ]
        )
    _write(path, _csv_text(rows))


# Linear ---------------------------------------------------------------------------------------

LINEAR_STATUSES = ["Backlog", "Todo", "Triage", "In Progress", "In Review", "Done", "Canceled"]
LINEAR_WEIGHTS = [10, 12, 3, 9, 5, 25, 4]
LINEAR_PROJECTS = [
    ("Checkout v2", "Grow self-serve revenue"),
    ("Mobile offline mode", "Win mobile field teams"),
    ("Usage billing", "Grow self-serve revenue"),
    ("SOC 2 readiness", "Sell to enterprise"),
    ("Design system 2.0", ""),
    ("Search relevance", "Win mobile field teams"),
]
LINEAR_INITIATIVES = ["Grow self-serve revenue", "Sell to enterprise", "Win mobile field teams"]


def _linear_stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def write_linear(path: Path) -> None:
    """Linear, teams ENG and DES: 320 issues, most in one of six projects (each but one under an
    initiative), some with an initiative but no project, some with neither; sub-issues naming
    their parent in `Parent issue`; Completed and Canceled dates; labels in one cell; some
    titles starting with + - = @, written with Linear's guarding quote."""
    rng = random.Random(17_003)
    header = (
        ["ID", "Team", "Title", "Description", "Status", "Estimate", "Priority", "Project ID"]
        + ["Project", "Creator", "Assignee", "Labels", "Cycle Number", "Cycle Name"]
        + ["Created", "Updated", "Started", "Triaged", "Completed", "Canceled", "Archived"]
        + ["Due Date", "Parent issue", "Initiatives", "Project Milestone"]
    )
    start = datetime(2024, 2, 5, 10, 0)
    numbers = {"ENG": 0, "DES": 0}
    rows = [header]
    issues: list[tuple[str, str, str]] = []  # id, project, initiative
    guarded = ["+1 reactions on comments", "-0 shown for empty totals", "@mentions in notes"]
    guarded.append("=SUM shown instead of totals in exports")
    for index in range(320):
        team = "ENG" if rng.random() < 0.8 else "DES"
        numbers[team] += 1
        key = f"{team}-{numbers[team]}"
        created = start + timedelta(hours=index * 5, minutes=rng.randint(0, 59))
        status = rng.choices(LINEAR_STATUSES, LINEAR_WEIGHTS)[0]
        if status == "Canceled" and rng.random() < 0.3:
            status = "Duplicate"
        parent = ""
        if issues and rng.random() < 0.15:
            parent, project, initiative = rng.choice(issues[-15:])
        else:
            roll = rng.random()
            if roll < 0.75:
                project, initiative = rng.choice(LINEAR_PROJECTS)
            elif roll < 0.87:
                project, initiative = "", rng.choice(LINEAR_INITIATIVES)
            else:
                project, initiative = "", ""
        title = _title(rng)
        if index % 80 == 7:
            title = "'" + guarded[index // 80]
        finished = created + timedelta(days=rng.randint(1, 30))
        person = rng.choice(PEOPLE)
        assignee = "" if rng.random() < 0.1 else person[1] if rng.random() < 0.7 else person[0]
        labels = rng.sample(["Bug", "Feature", "Improvement", "Frontend", "Backend", "Design"], 2)
        cycle = rng.randint(10, 24)
        rows.append(
            [
                key,
                "Engineering" if team == "ENG" else "Design",
                title,
                _description(rng),
                status,
                str(rng.choice([0, 1, 2, 3, 5, 8])) if rng.random() < 0.7 else "",
                rng.choice(["No priority", "Urgent", "High", "Medium", "Low"]),
                str(uuid.uuid5(uuid.NAMESPACE_URL, project)) if project else "",
                project,
                rng.choice(PEOPLE)[1],
                assignee,
                ", ".join(labels[: rng.randint(0, 2)]),
                str(cycle),
                f"Cycle {cycle}",
                _linear_stamp(created),
                _linear_stamp(finished),
                _linear_stamp(created + timedelta(days=1))
                if status in ("In Progress", "In Review", "Done")
                else "",
                _linear_stamp(created + timedelta(hours=3)),
                _linear_stamp(finished) if status == "Done" else "",
                _linear_stamp(finished) if status in ("Canceled", "Duplicate") else "",
                "",
                (created + timedelta(days=rng.randint(7, 45))).date().isoformat()
                if rng.random() < 0.3
                else "",
                parent,
                initiative,
                f"M{rng.randint(1, 3)}" if project and rng.random() < 0.5 else "",
            ]
        )
        issues.append((key, project, initiative))
    _write(path, _csv_text(rows))


# GitHub ---------------------------------------------------------------------------------------

MILESTONES = [
    ("v3.2", "2024-04-30T00:00:00Z"),
    ("v3.3", "2024-06-30T00:00:00Z"),
    ("v4.0", "2024-09-30T00:00:00Z"),
    ("Accessibility", None),
    ("Docs overhaul", None),
]
GITHUB_LABELS = [
    ("bug", "d73a4a", "Something isn't working"),
    ("enhancement", "a2eeef", "New feature or request"),
    ("documentation", "0075ca", "Improvements or additions to documentation"),
    ("good first issue", "7057ff", "Good for newcomers"),
    ("performance", "fbca04", ""),
    ("security", "b60205", ""),
]


def _node_id(rng: random.Random, prefix: str) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return prefix + "".join(rng.choice(letters) for _ in range(16))


def write_github_issues(path: Path) -> None:
    """`gh issue list --json …` of acme/web: 300 issues, newest first; open, closed as
    completed, closed as not planned; five milestones (some issues in none), labels, up to
    three assignees (logins), markdown bodies."""
    rng = random.Random(17_004)
    start = datetime(2024, 1, 2, 9, 0)
    issues = []
    for number in range(1, 301):
        created = start + timedelta(hours=number * 9, minutes=rng.randint(0, 59))
        roll = rng.random()
        if roll < 0.45:
            state, reason, closed = "OPEN", "", None
        else:
            state = "CLOSED"
            reason = "NOT_PLANNED" if roll > 0.9 else "COMPLETED"
            closed = created + timedelta(days=rng.randint(1, 40), hours=rng.randint(0, 20))
        if state == "OPEN" and rng.random() < 0.1:
            reason = "REOPENED"
        milestone = None
        if rng.random() < 0.75:
            title, due = rng.choice(MILESTONES)
            milestone = {
                "number": MILESTONES.index((title, due)) + 1,
                "title": title,
                "description": "",
                "dueOn": due,
            }
        assignees = [
            {"id": _node_id(rng, "MDQ6VXNlcj"), "login": login, "name": name}
            for name, _email, login in rng.sample(PEOPLE, rng.choice([0, 1, 1, 1, 2, 3]))
        ]
        labels = [
            {"id": _node_id(rng, "LA_"), "name": name, "description": text, "color": color}
            for name, color, text in rng.sample(GITHUB_LABELS, rng.choice([0, 1, 1, 2]))
        ]
        body = _description(rng).replace("Steps:", "### Steps")
        issues.append(
            {
                "assignees": assignees,
                "body": body,
                "closedAt": closed.strftime("%Y-%m-%dT%H:%M:%SZ") if closed else None,
                "createdAt": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "labels": labels,
                "milestone": milestone,
                "number": number,
                "state": state,
                "stateReason": reason,
                "title": _title(rng),
                "url": f"https://github.com/acme/web/issues/{number}",
            }
        )
    issues.reverse()
    _write(path, json.dumps(issues, indent=2, ensure_ascii=False) + "\n")


PROJECT_STATUSES = ["Todo", "In Progress", "In Review", "Done", "Blocked", ""]
PROJECT_WEIGHTS = [12, 8, 4, 14, 2, 3]
SIZES = ["XS", "S", "M", "L", "XL"]


def write_github_project(path: Path) -> None:
    """A GitHub Projects view exported as TSV: 300 items of acme/web and acme/api, 15 of them
    draft items (no URL); Status (some empty), comma-separated Assignees and Labels, Milestone,
    a number field Estimate (about half the items) and a single-select Size, an Iteration, and
    sub-issues naming their Parent issue."""
    rng = random.Random(17_005)
    header = ["Title", "URL", "Assignees", "Status", "Labels", "Linked pull requests"]
    header += ["Milestone", "Repository", "Reviewers", "Estimate", "Size", "Iteration"]
    header += ["Parent issue", "Sub-issues progress"]
    rows = [header]
    numbers = {"web": 400, "api": 150}
    urls: list[str] = []
    for index in range(300):
        repo = "web" if rng.random() < 0.6 else "api"
        draft = index % 20 == 13
        url = ""
        if not draft:
            numbers[repo] += rng.randint(1, 3)
            url = f"https://github.com/acme/{repo}/issues/{numbers[repo]}"
        logins = [login for _n, _e, login in rng.sample(PEOPLE, rng.choice([0, 1, 1, 2]))]
        labels = [name for name, _c, _t in rng.sample(GITHUB_LABELS, rng.choice([0, 1, 2]))]
        status = rng.choices(PROJECT_STATUSES, PROJECT_WEIGHTS)[0]
        parent = rng.choice(urls[-8:]) if urls and not draft and rng.random() < 0.12 else ""
        pulls = ""
        if status in ("In Review", "Done") and not draft:
            pulls = f"https://github.com/acme/{repo}/pull/{numbers[repo] + 1000}"
        rows.append(
            [
                _title(rng),
                url,
                ", ".join(logins),
                status,
                ", ".join(labels),
                pulls,
                rng.choice(MILESTONES)[0] if rng.random() < 0.7 and not draft else "",
                f"acme/{repo}" if not draft else "",
                rng.choice(PEOPLE)[2] if pulls else "",
                str(rng.choice([1, 2, 3, 5, 8])) if rng.random() < 0.5 else "",
                rng.choice(SIZES) if rng.random() < 0.6 else "",
                f"Iteration {rng.randint(4, 9)}" if rng.random() < 0.7 else "",
                parent,
                "",
            ]
        )
        if url:
            urls.append(url)
    _write(path, _csv_text(rows, delimiter="\t").replace("\r\n", "\n"))


# Asana ----------------------------------------------------------------------------------------

ASANA_PROJECTS = ["Website relaunch", "Q3 launch campaign", "Brand refresh", "Customer webinars"]
ASANA_SECTIONS = ["Backlog", "To do", "In progress", "Waiting on client", "Blocked", "Done"]


def write_asana(path: Path) -> None:
    """Asana, four projects: 250 tasks (a few in two projects), 60 subtasks listed after their
    parent with no project of their own and the parent's *name* in `Parent task`; two tasks
    share a name, and a subtask of one of them names it. Completed At on finished work; Tags,
    Notes, a Story Points custom field."""
    rng = random.Random(17_006)
    header = ["Task ID", "Created At", "Completed At", "Last Modified", "Name", "Section/Column"]
    header += ["Assignee", "Assignee Email", "Start Date", "Due Date", "Tags", "Notes"]
    header += ["Projects", "Parent task", "Blocked By (Dependencies)"]
    header += ["Blocking (Dependencies)", "Story Points"]
    rows = [header]
    start = date(2024, 3, 4)
    task_id = 1_206_744_000_000_000
    names: list[str] = []
    made = 0
    subtasks = 0
    combos = [(v, o + q) for v in VERBS for o in OBJECTS for q in ("", " for partners")]
    rng.shuffle(combos)

    def row(name: str, projects: str, parent: str, day: date) -> list[str]:
        nonlocal task_id
        task_id += rng.randint(10_000, 99_999)
        section = rng.choice(ASANA_SECTIONS)
        done = section == "Done" or rng.random() < 0.15
        person = rng.choice(PEOPLE)
        assigned = rng.random() < 0.85
        return [
            str(task_id),
            day.isoformat(),
            (day + timedelta(days=rng.randint(1, 20))).isoformat() if done else "",
            (day + timedelta(days=rng.randint(0, 25))).isoformat(),
            name,
            "" if parent else section,
            person[0] if assigned else "",
            person[1] if assigned and rng.random() < 0.9 else "",
            "",
            (day + timedelta(days=rng.randint(3, 40))).isoformat() if rng.random() < 0.6 else "",
            ",".join(rng.sample(["urgent", "copy", "design", "legal", "video"], rng.randint(0, 2))),
            _description(rng),
            projects,
            parent,
            "",
            "",
            str(rng.choice([1, 2, 3, 5])) if rng.random() < 0.4 else "",
        ]

    while made < 250:
        verb, thing = combos[made]
        name = f"{verb} {thing}"
        if made == 180:
            name = names[40]  # two tasks of the same name
        day = start + timedelta(days=made // 3)
        projects = rng.choice(ASANA_PROJECTS)
        if rng.random() < 0.06:
            projects += "," + rng.choice([p for p in ASANA_PROJECTS if p != projects])
        rows.append(row(name, projects, "", day))
        names.append(name)
        made += 1
        # The task named like an earlier one gets a subtask whatever the dice say.
        forced = made == 181
        while (subtasks < 59 and rng.random() < 0.25) or forced:
            subtasks, forced = subtasks + 1, False
            step = rng.choice(["Draft", "Review", "Approve", "Publish", "Translate"])
            rows.append(row(f"{step}: {name.lower()}", "", name, day))
    _write(path, _csv_text(rows))


# Broken files ---------------------------------------------------------------------------------

LINEAR_HEADER = "ID,Team,Title,Status,Project\r\n"

BROKEN: dict[str, bytes] = {
    "empty.csv": b"",
    "blank.csv": b"\xef\xbb\xbf \r\n\r\n  \r\n",
    "bom.csv": b"\xef\xbb\xbf"
    + (LINEAR_HEADER + "ENG-1,Engineering,Café menu,Todo,Checkout\r\n").encode(),
    "utf16.csv": (LINEAR_HEADER + "ENG-1,Engineering,Café menu,Todo,Checkout\r\n").encode("utf-16"),
    "utf16be_nobom.csv": (LINEAR_HEADER + "ENG-1,Engineering,Naïve search,Todo,\r\n").encode(
        "utf-16-be"
    ),
    "latin1.csv": (LINEAR_HEADER + "ENG-1,Engineering,Crème brûlée — 5 €,Todo,\r\n").encode(
        "cp1252"
    ),
    "semicolon.csv": (
        b"Issue key;Summary;Issue Type;Status;Custom field (Story Points)\r\n"
        b"OPS-1;Rotate keys; every quarter;Task;Open;2,5\r\n"
    ),
    "semicolon_quoted.csv": (
        b"Issue key;Summary;Issue Type;Status;Custom field (Story Points)\r\n"
        b'OPS-1;"Rotate keys; every quarter";Task;Open;2,5\r\n'
        b"OPS-2;Upgrade Postgres;Task;Closed;3\r\n"
    ),
    "tab.tsv": b"Title\tURL\tStatus\nFix login\thttps://github.com/acme/web/issues/9\tDone\n",
    "quoted_newlines.csv": (
        LINEAR_HEADER + 'ENG-1,Engineering,"Two\r\nline title",Todo,\r\n'
        'ENG-2,Engineering,"Say ""hi""",Done,"Check\r\nout"\r\n'
        "ENG-3,Engineering,Plain,Todo,\r\n"
    ).encode(),
    "unbalanced_quote.csv": (
        LINEAR_HEADER + "ENG-1,Engineering,Fine,Todo,\r\n"
        'ENG-2,Engineering,"Broken title,Todo,\r\n'
        + "".join(f"ENG-{n},Engineering,Row {n},Todo,\r\n" for n in range(3, 9))
    ).encode(),
    "too_many_cells.csv": (
        LINEAR_HEADER + "ENG-1,Engineering,Fine,Todo,\r\n"
        "ENG-2,Engineering,Title, with a comma,Todo,Checkout\r\n"
        "ENG-3,Engineering,Trailing empties,Todo,,,\r\n"
    ).encode(),
    "duplicate_keys.csv": (
        LINEAR_HEADER + "ENG-1,Engineering,First,Todo,\r\n"
        "ENG-2,Engineering,Second,Todo,\r\n"
        "ENG-1,Engineering,First again,Done,\r\n"
    ).encode(),
    "long_title.csv": (
        LINEAR_HEADER + f"ENG-1,Engineering,{'x' * 200},Todo,\r\n"
        f"ENG-2,Engineering,{'y' * 201},Todo,\r\n"
        "ENG-3,Engineering,,Todo,\r\n"
        ",Engineering,No key,Todo,\r\n"
        f"{'K' * 101},Engineering,Long key,Todo,\r\n"
    ).encode(),
    "formula.csv": (
        LINEAR_HEADER + 'ENG-1,Engineering,"=HYPERLINK(""http://x"",""y"")",Todo,\r\n'
        "ENG-2,Engineering,'=1+2,Todo,'@Checkout\r\n"
        "ENG-3,Engineering,'Quoted on purpose',Todo,\r\n"
    ).encode(),
    "not_utf8_later.csv": (
        (
            LINEAR_HEADER
            + "".join(f"ENG-{n},Engineering,Row {n},Todo,\r\n" for n in range(1, 3001))
        ).encode()
        + "ENG-3001,Engineering,Caf\u00e9,Todo,\r\n".encode("cp1252")
    ),
    "spreadsheet.xlsx": b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + bytes(range(64)),
    "unknown.csv": b"Name,Email,Phone\r\nAda,ada@example.com,123\r\n",
    "broken.json": b'[{"number": 1, "title": "Fine", "state": "OPEN", "url": "https://github'
    b'.com/acme/web/issues/1"},\n {"number": 2, "title": "Cut off',
    "jira_parent_later.csv": (
        b"Issue key,Issue id,Summary,Issue Type,Status,Parent,Custom field (Epic Link)\r\n"
        b"PM-3,10003,Sub-task first,Sub-task,To Do,10002,\r\n"
        b"PM-2,10002,Story in the middle,Story,Done,10001,\r\n"
        b"PM-1,10001,The epic,Epic,In Progress,,\r\n"
        b"PM-4,10004,Story after its epic,Story,To Do,10001,\r\n"
        b"PM-5,10005,Sub-task after its story,Sub-task,To Do,10004,\r\n"
    ),
}

GENERATED = {
    "jira_cloud.csv": write_jira_cloud,
    "jira_server.csv": write_jira_server,
    "linear.csv": write_linear,
    "github_issues.json": write_github_issues,
    "github_project.tsv": write_github_project,
    "asana.csv": write_asana,
}


def write_all(folder: Path = HERE) -> list[Path]:
    """Writes every sample into `folder`; returns their paths."""
    paths = []
    for name, write in GENERATED.items():
        write(folder / name)
        paths.append(folder / name)
    for name, data in BROKEN.items():
        (folder / "broken").mkdir(exist_ok=True)
        (folder / "broken" / name).write_bytes(data)
        paths.append(folder / "broken" / name)
    return paths


if __name__ == "__main__":
    for written in write_all(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(written)
