"""Files for the import benchmark: a large, realistic Jira CSV export, written as a stream.

`write_jira_csv(path)` writes 100,000 issues of project BIG as Jira Cloud's "Export Excel CSV"
lays them out: 400 epics (one opening each block of 250 issues), stories, tasks and bugs (85%
linked to their block's epic through `Custom field (Epic Link)`), one issue in five a sub-task
of the issue before it (numeric `Parent id`), eleven statuses in their three categories (Won't
Do and Duplicate among the Done ones), 50 assignees by email (one issue in ten unassigned),
story points, due dates on a third, up to three `Labels` and two `Component/s` columns, and
descriptions of one to three sentences, some over several lines. About 36 MB: within the
importer's 40 MB limit.

Each row is drawn from its own seeded generator, so the file is the same for the same seed
whatever the order: `newest_first` (the default, as Jira sorts an export) puts every child
before its parent, as the importer meets it in real exports. Memory stays flat: one row at a
time goes to the file.

    python -m bench.import_files big.csv [rows]
"""

import csv
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

HEADER = [
    "Summary",
    "Issue key",
    "Issue id",
    "Parent id",
    "Issue Type",
    "Status",
    "Status Category",
    "Priority",
    "Resolution",
    "Assignee",
    "Reporter",
    "Created",
    "Updated",
    "Due date",
    "Labels",
    "Labels",
    "Labels",
    "Component/s",
    "Component/s",
    "Sprint",
    "Description",
    "Custom field (Story point estimate)",
    "Custom field (Epic Link)",
]

BLOCK = 250  # issues per epic
SUB_TASK_EVERY = 5
FIRST_ID = 100_000

FIRST_NAMES = ["ada", "grace", "alan", "katherine", "edsger", "barbara", "donald", "margaret"]
FIRST_NAMES += ["linus", "chiamaka"]
LAST_NAMES = ["lovelace", "hopper", "turing", "johnson", "dijkstra"]
PEOPLE = [f"{first}.{last}@example.com" for first in FIRST_NAMES for last in LAST_NAMES]  # 50

# (status, category, resolution, weight)
STATUSES = [
    ("To Do", "To Do", "", 12),
    ("Backlog", "To Do", "", 10),
    ("Selected for Development", "To Do", "", 3),
    ("In Progress", "In Progress", "", 10),
    ("In Review", "In Progress", "", 5),
    ("Blocked", "In Progress", "", 2),
    ("QA", "In Progress", "", 3),
    ("Done", "Done", "Done", 45),
    ("Closed", "Done", "Done", 4),
    ("Won't Do", "Done", "Won't Do", 4),
    ("Duplicate", "Done", "Duplicate", 2),
]
STATUS_WEIGHTS = [weight for *_status, weight in STATUSES]

VERBS = ["Add", "Fix", "Remove", "Refactor", "Document", "Speed up", "Migrate", "Test", "Audit"]
OBJECTS = [
    "checkout page",
    "invoice PDF export",
    "SSO login",
    "billing webhooks",
    "refund flow",
    "search index",
    "audit log",
    "CSV export",
    "mobile navigation",
    "rate limiter",
    "notification settings",
    "currency rounding",
    "team invitations",
    "API pagination",
    "dashboard charts",
    "tax calculation",
]
QUALIFIERS = ["", "", " for enterprise accounts", " on Safari", " in the EU region", " (follow-up)"]
SENTENCES = [
    "Customers on the annual plan see the wrong total after a coupon is applied.",
    'Support says the page "just spins" for accounts with more than 500 invoices.',
    "The current implementation queries the ledger once per line item, which is slow.",
    "We agreed in planning to ship this behind a flag first, then ramp up by region.",
    "Acceptance: the export matches the ledger to the cent, including partial refunds.",
    "See the incident review from last quarter for the background and the timeline.",
    "Design has a mock-up in the shared folder; the copy is still being reviewed.",
    "This blocks the partner launch, so it should land before the code freeze.",
    "Measure p95 latency before and after; the target is under 300 ms at peak.",
    "Edge case: accounts created before 2019 have no billing address on file.",
]
LABELS = ["backend", "frontend", "tech-debt", "customer", "security", "performance", "ux", "infra"]
COMPONENTS = ["Billing", "Accounts", "Reporting", "Web app", "Mobile", "Platform"]
START = datetime(2021, 1, 4, 9, 0)


@dataclass
class JiraFile:
    """What `write_jira_csv` wrote: the counts the importer should find in it."""

    path: Path
    rows: int
    epics: int
    sub_tasks: int
    with_epic_link: int
    size: int  # bytes


def _is_epic(number: int) -> bool:
    return number % BLOCK == 1


def _is_sub_task(number: int) -> bool:
    return number % SUB_TASK_EVERY == 0


def _stamp(moment: datetime) -> str:
    hour = moment.hour % 12 or 12
    return f"{moment.day:02d}/{moment:%b}/{moment:%y} {hour}:{moment:%M} " + (
        "AM" if moment.hour < 12 else "PM"
    )


def _description(rng: random.Random) -> str:
    sentences = rng.sample(SENTENCES, rng.randint(1, 3))
    if rng.random() < 0.1:
        steps = "\n".join(f"- {step}" for step in rng.sample(OBJECTS, 3))
        return f"{sentences[0]}\n\nSteps to check:\n{steps}\n\n" + " ".join(sentences[1:])
    return " ".join(sentences)


def _row(seed: int, number: int) -> tuple[list[str], bool]:
    """Issue `number`'s cells (its own generator: the same whatever the order), and whether it
    names an epic."""
    rng = random.Random(f"{seed}:{number}")
    created = START + timedelta(minutes=number * 9 + rng.randint(0, 8))
    updated = created + timedelta(days=rng.randint(0, 90), minutes=rng.randint(0, 600))
    epic_key = f"BIG-{(number - 1) // BLOCK * BLOCK + 1}"
    parent_id = epic_link = points = ""
    if _is_epic(number):
        kind = "Epic"
        summary = f"{rng.choice(VERBS)} {rng.choice(OBJECTS)}: programme {number // BLOCK + 1}"
    elif _is_sub_task(number):
        kind = "Sub-task"
        summary = f"{rng.choice(VERBS)} {rng.choice(OBJECTS)}{rng.choice(QUALIFIERS)}"
        parent_id = str(FIRST_ID + number - 1)
    else:
        kind = rng.choices(["Story", "Task", "Bug"], [6, 3, 2])[0]
        summary = f"{rng.choice(VERBS)} {rng.choice(OBJECTS)}{rng.choice(QUALIFIERS)}"
        epic_link = epic_key if rng.random() < 0.85 else ""
        points = f"{rng.choice([1, 2, 3, 5, 8, 13])}.0" if rng.random() < 0.8 else ""
    status, category, resolution, _weight = rng.choices(STATUSES, STATUS_WEIGHTS)[0]
    labels = rng.sample(LABELS, rng.choice([0, 0, 1, 1, 2, 3]))
    components = rng.sample(COMPONENTS, rng.choice([0, 1, 1, 2]))
    due = ""
    if rng.random() < 0.33:
        due = f"{(created + timedelta(days=rng.randint(7, 120))):%d/%b/%y}"
    cells = [
        summary,
        f"BIG-{number}",
        str(FIRST_ID + number),
        parent_id,
        kind,
        status,
        category,
        rng.choice(["Highest", "High", "Medium", "Medium", "Low"]),
        resolution,
        rng.choice(PEOPLE) if rng.random() < 0.9 else "",
        rng.choice(PEOPLE),
        _stamp(created),
        _stamp(updated),
        due,
        *(labels + ["", "", ""])[:3],
        *(components + ["", ""])[:2],
        f"BIG Sprint {number // 2_000 + 1}" if rng.random() < 0.6 else "",
        _description(rng),
        points,
        epic_link,
    ]
    return cells, bool(epic_link)


def _numbers(rows: int, newest_first: bool) -> Iterator[int]:
    return iter(range(rows, 0, -1)) if newest_first else iter(range(1, rows + 1))


def write_jira_csv(
    path: Path, *, rows: int = 100_000, seed: int = 17, newest_first: bool = True
) -> JiraFile:
    """Writes a Jira Cloud CSV export of `rows` issues to `path`, a row at a time (see the
    module's docstring), and returns what it holds. The same seed writes the same bytes."""
    epics = sub_tasks = linked = 0
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(HEADER)
        for number in _numbers(rows, newest_first):
            cells, has_link = _row(seed, number)
            writer.writerow(cells)
            epics += _is_epic(number)
            sub_tasks += _is_sub_task(number)
            linked += has_link
    return JiraFile(
        path=path,
        rows=rows,
        epics=epics,
        sub_tasks=sub_tasks,
        with_epic_link=linked,
        size=path.stat().st_size,
    )


if __name__ == "__main__":
    written = write_jira_csv(
        Path(sys.argv[1]), rows=int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    )
    print(written)
