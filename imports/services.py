"""Import: an uploaded file is read in a dry run first, then applied with the user's mapping.

Both run as background jobs (`run_pending`, asked for through the jobs outbox when the upload or
the apply is saved). A job takes its import's row locked and holds it while it works: the dry
run only reads; the apply writes everything in that one transaction, so a failure (or a worker
killed mid-way) leaves nothing half-done, and the import waits, queued, for the next job.

Files are streamed twice at most (the apply's first pass learns every row's parent and group),
and work rows are handled in batches of BATCH with a fixed number of statements each.
"""

import logging
import re
import secrets
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from goals import services as goal_services
from goals.models import Direction, Goal, GoalStatus, Outcome, Priority
from goals.visibility import visible_q
from imports import progress, readers
from imports.readers.base import (
    TITLE_MAX,
    GoalRow,
    GroupRow,
    OutcomeRow,
    Problem,
    Reader,
    UnreadableFile,
    WorkRow,
)
from traceability.selectors import coverage_headline
from traceability.services import goal_coverage_refresh
from vindaris.lib import jobs
from vindaris.tenancy.models import Membership, Organization, Role, User
from vindaris.tenancy.numbering import next_number
from work import services as work_services
from work.models import LIVE_STATUSES, SOURCE_LABELS, Task, TaskStatus

from .mapping import GOAL_CHOICE, NEW_GOAL, NO_GOAL, Mapping, points, suggested_status
from .models import ImportRun, ImportState

log = logging.getLogger(__name__)

RUN_TASK = "imports.run"
# Stated on the import page: larger files are refused before they are read.
MAX_FILE_BYTES = 40 * 1024 * 1024
MAX_ROWS = 100_000
BATCH = 2000
# How many problems, warnings and listed tasks an import keeps to show (all are counted).
SHOWN = 200
# Groupings offered in the mapping; beyond these (by rows), work stays without a goal.
MAX_GROUPS = 300
IMPORTERS = (Role.ADMIN, Role.LEAD)


class ImportFailed(Exception):
    """The import cannot go on; the message says why and what to do. Nothing was changed."""


def source_label(source: str) -> str:
    return SOURCE_LABELS.get(source, source)


# Starting, re-mapping, applying, discarding (the user's requests) --------------------------


def _check_importer(organization: Organization, membership: Membership) -> None:
    if membership.organization_id != organization.pk or membership.role not in IMPORTERS:
        raise ValidationError("Only admins and leads import.")


@transaction.atomic
def import_start(
    *,
    organization: Organization,
    membership: Membership,
    upload: File,
    format: str = "",
) -> ImportRun:
    """Keep the upload and queue its dry run. The format is detected from the file's headers
    unless `format` names one; a file too large, empty or in no format we know is refused here,
    with a message, and nothing is kept."""
    _check_importer(organization, membership)
    size = upload.size or 0
    if size > MAX_FILE_BYTES:
        raise ValidationError(
            f"The file is {size / 1024 / 1024:.1f} MB; the limit is "
            f"{MAX_FILE_BYTES // 1024 // 1024} MB. Export fewer rows (one project, or a date"
            " range)."
        )
    if format and format not in readers.READERS:
        raise ValidationError("Select a valid format.")
    try:
        upload.seek(0)
        reader = readers.READERS[format] if format else readers.detect(upload)
    except UnreadableFile as error:
        raise ValidationError(str(error)) from error
    finally:
        upload.seek(0)
    run = ImportRun(
        organization=organization,
        number=next_number(organization, "import"),
        token=secrets.token_hex(16),
        filename=(upload.name or "upload")[:200],
        size=size,
        format=reader.name,
        format_chosen=bool(format),
        source=reader.source,
        mapping=_remembered_mapping(organization, reader.source),
        created_by=membership.user,
    )
    run.file.save("upload", upload, save=False)
    run.save()
    jobs.enqueue(RUN_TASK, organization.pk)
    return run


def _remembered_mapping(organization: Organization, source: str) -> dict[str, Any]:
    """The mapping of the organization's last applied import from the same tool: a newer export
    of the same project maps as the last one did."""
    last = (
        ImportRun.objects.filter(
            organization=organization, source=source, state=ImportState.APPLIED
        )
        .order_by("-applied_at")
        .values_list("mapping", flat=True)
        .first()
    )
    return last or {}


def _locked(organization: Organization, run: ImportRun) -> ImportRun:
    return goal_services.get_for_update(
        ImportRun.objects.all(), organization=organization, pk=run.pk, field="import"
    )


@transaction.atomic
def import_remap(
    *, organization: Organization, membership: Membership, run: ImportRun, mapping: Mapping
) -> ImportRun:
    """Run the dry run again with the mapping the user edited."""
    _check_importer(organization, membership)
    run = _locked(organization, run)
    if run.state not in (ImportState.READY, ImportState.FAILED) or not run.file:
        raise ValidationError("This import can no longer be changed.")
    run.mapping = mapping.as_json()
    run.state = ImportState.QUEUED
    run.error = ""
    run.save(update_fields=["mapping", "state", "error"])
    jobs.enqueue(RUN_TASK, organization.pk)
    return run


@transaction.atomic
def import_apply(
    *, organization: Organization, membership: Membership, run: ImportRun
) -> ImportRun:
    """Queue the apply of a dry run with the mapping it was read with."""
    _check_importer(organization, membership)
    run = _locked(organization, run)
    if run.state != ImportState.READY:
        raise ValidationError("Only a finished dry run can be applied.")
    if run.plan.get("work_rows", 0) + run.plan.get("goal_rows", 0) == 0:
        raise ValidationError("Nothing in this file can be imported.")
    run.state = ImportState.APPLY_QUEUED
    run.applied_by = membership.user
    run.save(update_fields=["state", "applied_by"])
    jobs.enqueue(RUN_TASK, organization.pk)
    return run


@transaction.atomic
def import_discard(*, organization: Organization, membership: Membership, run: ImportRun) -> None:
    """Drop an import that was not applied, and its file."""
    _check_importer(organization, membership)
    run = _locked(organization, run)
    if run.state in (ImportState.APPLIED, ImportState.APPLY_QUEUED, ImportState.CANCELLED):
        raise ValidationError("This import can no longer be discarded.")
    run.state = ImportState.CANCELLED
    run.save(update_fields=["state"])
    _delete_file_on_commit(run)


def _delete_file_on_commit(run: ImportRun) -> None:
    name = run.file.name
    if not name:
        return
    storage = run.file.storage
    transaction.on_commit(lambda: storage.delete(name))
    run.file.name = ""
    run.save(update_fields=["file"])


# The job ----------------------------------------------------------------------------------


def run_pending(organization_id: int) -> int:
    """Read or apply the organization's queued imports, oldest first; return how many were
    done. Each one's row stays locked while it is worked on (another job skips it)."""
    done = 0
    while True:
        failure: tuple[int, str] | None = None
        run_id = None
        try:
            with transaction.atomic():
                run = (
                    ImportRun.objects.select_for_update(skip_locked=True)
                    .select_related("organization")
                    .filter(
                        organization_id=organization_id,
                        state__in=(ImportState.QUEUED, ImportState.APPLY_QUEUED),
                    )
                    .order_by("id")
                    .first()
                )
                if run is None:
                    return done
                run_id = run.pk
                if run.state == ImportState.QUEUED:
                    dry_run(run)
                else:
                    apply(run)
        except (ImportFailed, UnreadableFile) as error:
            if run_id is None:
                raise
            failure = (run_id, str(error))
        except Exception:
            if run_id is None:
                raise
            log.exception("import %s failed", run_id)
            failure = (run_id, "Something went wrong on our side while importing.")
        if failure is not None:
            ImportRun.objects.filter(organization_id=organization_id, pk=failure[0]).update(
                state=ImportState.FAILED,
                error=f"{failure[1]} Nothing was changed.",
            )
        done += 1


def _member(run: ImportRun, user: User | None) -> Membership:
    membership = (
        Membership.objects.select_related("user")
        .filter(organization=run.organization, user=user, role__in=IMPORTERS)
        .first()
    )
    if membership is None:
        raise ImportFailed("The member who asked for this import can no longer import.")
    return membership


@contextmanager
def _items(run: ImportRun) -> Iterator[tuple[Reader, Iterator[Any], Callable[[], int]]]:
    """The file's items, streamed, and how many bytes have been read (for progress)."""
    if not run.file:
        raise ImportFailed("The uploaded file is gone; upload it again.")
    with run.file.open("rb") as binary:
        reader, items = readers.open_reader(binary, run.format if run.format_chosen else None)
        yield reader, items, binary.tell


# Reading: what the file holds and what it would change --------------------------------------


@dataclass
class Values:
    """A work row's values in Vindaris's terms, under the mapping."""

    title: str
    description: str
    status: str
    estimate: int
    due_date: date | None
    assignee_id: int | None


@dataclass
class Scan:
    """One pass over a file: counts, groupings, statuses, people, problems, and per key the
    grouping and parent the row named (resolved through parents at the end)."""

    rows: int = 0
    work_rows: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)
    problems_count: int = 0
    warnings: list[tuple[int, str]] = field(default_factory=list)
    warnings_count: int = 0
    group_titles: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, tuple[str, int]] = field(default_factory=dict)
    people: Counter[str] = field(default_factory=Counter)
    links: dict[str, tuple[str, str]] = field(default_factory=dict)  # key → (group, parent)
    # A row's own id where its tool names parents by id (Jira Cloud's Parent): id → key.
    refs: dict[str, str] = field(default_factory=dict)
    goal_rows: list[GoalRow] = field(default_factory=list)
    outcome_rows: list[OutcomeRow] = field(default_factory=list)
    bad_lines: set[int] = field(default_factory=set)

    def problem(self, line: int, message: str) -> None:
        self.problems_count += 1
        self.bad_lines.add(line)
        if len(self.problems) < SHOWN:
            self.problems.append((line, message))

    def warn(self, line: int, message: str) -> None:
        self.warnings_count += 1
        if len(self.warnings) < SHOWN:
            self.warnings.append((line, message))

    def take(self, item: Any) -> WorkRow | None:
        """Note what an item says; return it when it is work to import."""
        self.rows += 1
        if isinstance(item, Problem):
            self.problem(item.line, item.message)
        elif isinstance(item, GroupRow):
            self.group_titles[item.key] = item.title
            if item.ref:
                self.refs[item.ref] = item.key
        elif isinstance(item, GoalRow):
            self.goal_rows.append(item)
            if item.owner:
                self.people[item.owner] += 1
        elif isinstance(item, OutcomeRow):
            self.outcome_rows.append(item)
        elif isinstance(item, WorkRow):
            self.work_rows += 1
            if self.work_rows > MAX_ROWS:
                raise ImportFailed(
                    f"The file has more than {MAX_ROWS:,} rows of work; split it (by project or"
                    " by date) and import the parts one after the other."
                )
            for message in item.warnings:
                self.warn(item.line, message)
            if item.group and not self.group_titles.get(item.group):
                self.group_titles[item.group] = item.group_title
            name, count = self.statuses.get(item.status, (item.status_category, 0))
            self.statuses[item.status] = (name, count + 1)
            if item.assignee:
                self.people[item.assignee] += 1
            self.links[item.key] = (item.group, item.parent)
            if item.ref:
                self.refs[item.ref] = item.key
            return item
        return None

    def group_of(self, key: str) -> str:
        """The grouping a row falls under: its own, else its parent's (a sub-task under its
        story's epic), up the chain."""
        seen = 0
        group, parent = self.links.get(key, ("", ""))
        while not group and parent and seen < 20:
            parent = self.refs.get(parent, parent)
            if parent in self.group_titles and parent not in self.links:
                return parent  # the parent is the grouping itself (a Jira epic row)
            group, parent = self.links.get(parent, ("", ""))
            seen += 1
        return group


class Resolver:
    """A work row's values under the mapping: statuses, people (by email unless the mapping
    names a member), estimates. People are looked up a batch at a time."""

    def __init__(self, organization: Organization, mapping: Mapping) -> None:
        self.organization = organization
        self.mapping = mapping
        self.members: dict[str, int | None] = {}
        allowed = Membership.objects.filter(organization=organization).values_list("pk", flat=True)
        self.member_ids = set(allowed)
        for name, member in mapping.people.items():
            self.members[name] = member if member in self.member_ids else None

    def learn(self, names: set[str]) -> None:
        """Match the names not yet known to members by email (case aside): one query."""
        unknown = {name for name in names if name and name not in self.members}
        if not unknown:
            return
        emails = {name.strip().lower(): name for name in unknown if "@" in name}
        found = dict(
            Membership.objects.filter(organization=self.organization)
            .annotate(email=Lower("user__email"))
            .filter(email__in=list(emails))
            .values_list("email", "pk")
        )
        for name in unknown:
            self.members[name] = found.get(name.strip().lower())

    def status(self, row: WorkRow) -> str:
        mapped = self.mapping.statuses.get(row.status)
        if mapped in TaskStatus.values:
            return mapped
        return suggested_status(row.status, row.status_category)

    def values(self, row: WorkRow) -> Values:
        return Values(
            title=row.title,
            description=row.description,
            status=self.status(row),
            estimate=points(row.estimate, self.mapping.default_estimate),
            due_date=row.due,
            assignee_id=self.members.get(row.assignee) if row.assignee else None,
        )


def _batches(rows: Iterator[WorkRow]) -> Iterator[list[WorkRow]]:
    batch: list[WorkRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


EXISTING_FIELDS = ("title", "description", "status", "estimate", "due_date", "assignee_id")


def _existing(
    organization: Organization, source: str, keys: list[str]
) -> dict[str, dict[str, Any]]:
    """The organization's tasks imported earlier from `source` under these keys: one query."""
    rows = Task.objects.filter(
        organization=organization, source=source, external_key__in=keys
    ).values("id", "number", "external_key", "goal_id", *EXISTING_FIELDS)
    return {row["external_key"]: row for row in rows}


def _differences(task: dict[str, Any], values: Values) -> list[str]:
    return [name for name in EXISTING_FIELDS if task[name] != getattr(values, name)]


def _visible_goal_numbers(organization: Organization, viewer: Membership) -> dict[int, int]:
    """number → id of the goals the importer may see (mapping choices, strategy files naming
    goals already here)."""
    return dict(
        Goal.objects.filter(organization=organization)
        .filter(visible_q(viewer))
        .values_list("number", "id")
    )


def _goal_choice(choice: str, numbers: dict[int, int]) -> int | None:
    match = GOAL_CHOICE.match(choice)
    return numbers.get(int(match.group(1))) if match else None


@dataclass
class Counts:
    new: int = 0
    changed: int = 0
    unchanged: int = 0

    def as_json(self) -> dict[str, int]:
        return {"new": self.new, "changed": self.changed, "unchanged": self.unchanged}


def _key_prefix(key: str) -> str:
    """The part of a key that names its project: "PM-" of PM-92, "acme/web#" of acme/web#12."""
    match = re.match(r"^(.*[-#])\d+$", key)
    return match.group(1) if match else ""


def dry_run(run: ImportRun) -> None:
    """Read the file and record what applying it would do (ImportRun.plan), under the mapping
    the user chose or the one proposed from the file."""
    organization = run.organization
    viewer = _member(run, run.created_by)
    mapping = Mapping.from_json(run.mapping)
    resolver = Resolver(organization, mapping)
    scan = Scan()
    tasks = Counts()
    changes: list[dict[str, Any]] = []
    matched: dict[str, tuple[int, int | None]] = {}  # key → (task number, goal id)
    new_keys: set[str] = set()
    counted: dict[int, tuple[str, str]] = {}  # line → (verdict, key) of each row counted
    prefixes: set[str] = set()
    # A strategy file's tasks name their goal and outcome: checked once the file's goals are.
    named: list[tuple[WorkRow, str, int | None]] = []
    with _items(run) as (reader, items, position):
        work = (row for row in (scan.take(item) for item in items) if row is not None)
        for batch in _batches(work):
            progress.report(organization.pk, run.pk, "reading", position(), run.size)
            resolver.learn({row.assignee for row in batch})
            existing = _existing(organization, reader.source, [row.key for row in batch])
            for row in batch:
                prefixes.add(_key_prefix(row.key))
                task = existing.get(row.key)
                if task is None:
                    new_keys.add(row.key)
                    verdict = "new"
                else:
                    matched[row.key] = (task["number"], task["goal_id"])
                    different = _differences(task, resolver.values(row))
                    verdict = "changed" if different else "unchanged"
                    if different and len(changes) < SHOWN:
                        changes.append(
                            {"task": task["number"], "key": row.key, "fields": different}
                        )
                setattr(tasks, verdict, getattr(tasks, verdict) + 1)
                counted[row.line] = (verdict, row.key)
                if row.goal or row.outcome:
                    slim = WorkRow(row.line, row.key, "", goal=row.goal, outcome=row.outcome)
                    named.append((slim, verdict, task["goal_id"] if task else None))
    resolver.learn(set(scan.people))
    numbers = _visible_goal_numbers(organization, viewer)
    strategy = _Strategy(run, scan, numbers, resolver)
    # A problem a reader finds once the whole file is read (a parent cycle, a key naming
    # nothing) is on the line of a row already counted: that row is not taken.
    for line in scan.bad_lines & counted.keys():
        verdict, key = counted.pop(line)
        setattr(tasks, verdict, getattr(tasks, verdict) - 1)
        new_keys.discard(key)
        matched.pop(key, None)
    strategy.check()
    for row, verdict, goal_id in named:
        if row.line not in counted:
            continue
        problem = _link_problem(row, strategy, numbers)
        if problem:
            scan.problem(row.line, problem)
            setattr(tasks, verdict, getattr(tasks, verdict) - 1)
        else:
            strategy.note_link(row, verdict, goal_id)
    groups = _groups(run, scan, mapping, numbers, new_keys, matched, strategy)
    mapping.statuses = {
        name: resolver.status(WorkRow(0, "", "", status=name, status_category=category))
        for name, (category, _) in scan.statuses.items()
    }
    mapping.people = {name: resolver.members.get(name) for name in scan.people}
    run.mapping = mapping.as_json()
    gone, gone_count = _gone(organization, reader.source, prefixes, matched)
    run.plan = {
        "format": reader.name,
        "format_label": reader.label,
        "rows": scan.rows,
        "work_rows": scan.work_rows,
        "goal_rows": len(scan.goal_rows),
        "tasks": tasks.as_json(),
        "goals": strategy.goals.as_json(),
        "outcomes": strategy.outcomes.as_json(),
        "problems": scan.problems,
        "problems_count": scan.problems_count,
        "warnings": scan.warnings,
        "warnings_count": scan.warnings_count,
        "groups": groups["rows"],
        "groups_count": groups["count"],
        "linked_new": groups["linked_new"] + strategy.linked_new,
        "linked_existing": groups["linked_existing"] + strategy.linked_existing,
        "kept_links": (groups["kept"] + strategy.kept)[:SHOWN],
        "kept_links_count": len(groups["kept"]) + len(strategy.kept),
        "statuses": [
            {"name": name, "category": category, "rows": count}
            for name, (category, count) in sorted(scan.statuses.items(), key=lambda s: -s[1][1])
        ],
        "people": [
            {"name": name, "rows": count, "matched": resolver.members.get(name) is not None}
            for name, count in scan.people.most_common()
        ],
        "changes": changes,
        "gone": gone,
        "gone_count": gone_count,
    }
    run.state = ImportState.READY
    run.read_at = timezone.now()
    run.error = ""
    run.save(update_fields=["plan", "mapping", "state", "read_at", "error"])
    progress.report(organization.pk, run.pk, "reading", 1, 1)


def _groups(
    run: ImportRun,
    scan: Scan,
    mapping: Mapping,
    numbers: dict[int, int],
    new_keys: set[str],
    matched: dict[str, tuple[int, int | None]],
    strategy: "_Strategy",
) -> dict[str, Any]:
    """The groupings with their rows, each mapped (the user's choice, else the goal an earlier
    import made of it, else no goal), and what the mapping does to work already here: linked
    when it had no goal, kept as it is (and listed) when someone linked it elsewhere."""
    counts: Counter[str] = Counter()
    for key in scan.links:
        group = scan.group_of(key)
        if group:
            counts[group] += 1
    earlier = dict(
        Goal.objects.filter(
            organization=run.organization,
            source=run.source,
            external_key__in=list(counts),
        )
        .filter(id__in=list(numbers.values()))
        .values_list("external_key", "number")
    )
    offered = [key for key, _ in counts.most_common(MAX_GROUPS)]
    for key in offered:
        choice = mapping.groups.get(key, "")
        if choice not in (NO_GOAL, NEW_GOAL) and _goal_choice(choice, numbers) is None:
            choice = f"G-{earlier[key]}" if key in earlier else NO_GOAL
        mapping.groups[key] = choice
    mapping.groups = {key: mapping.groups[key] for key in offered}
    id_to_number = {goal_id: number for number, goal_id in numbers.items()}

    def target(key: str) -> str:
        return mapping.groups.get(scan.group_of(key), NO_GOAL)

    linked_new = sum(1 for key in new_keys if target(key) != NO_GOAL)
    linked_existing = 0
    kept = []
    for key, (number, goal_id) in matched.items():
        choice = target(key)
        if choice == NO_GOAL:
            continue
        if goal_id is None:
            linked_existing += 1
        elif choice == NEW_GOAL or _goal_choice(choice, numbers) != goal_id:
            here = id_to_number.get(goal_id)
            kept.append(
                {
                    "task": number,
                    "key": key,
                    "file": choice if choice != NEW_GOAL else scan.group_of(key),
                    "goal": f"G-{here}" if here else "a goal you cannot see",
                }
            )
    rows = [
        {
            "key": key,
            "title": scan.group_titles.get(key, ""),
            "rows": counts[key],
            "choice": mapping.groups[key],
        }
        for key in offered
    ]
    return {
        "rows": rows,
        "count": len(counts),
        "linked_new": linked_new,
        "linked_existing": linked_existing,
        "kept": kept,
    }


def _gone(
    organization: Organization, source: str, prefixes: set[str], matched: dict[str, Any]
) -> tuple[list[dict[str, Any]], int]:
    """Tasks imported earlier from the same tool and project that the file no longer has:
    listed (not deleted). Two queries."""
    if not prefixes or "" in prefixes or len(prefixes) > 50:
        pattern = ["%"]
    else:
        pattern = [prefix.replace("%", r"\%").replace("_", r"\_") + "%" for prefix in prefixes]
    table = Task._meta.db_table
    where = f"""
        FROM {table} t
        WHERE t.organization_id = %s AND t.source = %s AND t.external_key <> ''
          AND t.external_key LIKE ANY(%s) AND NOT (t.external_key = ANY(%s))
    """  # noqa: S608 - the table name from the model; values are parameters
    params: list[Any] = [organization.pk, source, pattern, list(matched)]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) {where}", params)  # noqa: S608 - as above
        count = cursor.fetchone()[0]
        cursor.execute(
            f"SELECT t.number, t.external_key, t.title, t.status {where} ORDER BY t.number LIMIT 50",  # noqa: S608, E501 - as above
            params,
        )
        rows = [
            {"task": number, "key": key, "title": title, "status": status}
            for number, key, title, status in cursor.fetchall()
        ]
    return rows, count


# Strategy files: goals and outcomes -------------------------------------------------------


class _Strategy:
    """A strategy file's goals and outcomes: checked (parents, cycles, values), compared with
    what an earlier import of the file made, and created or updated by the apply."""

    def __init__(
        self, run: ImportRun, scan: Scan, numbers: dict[int, int], resolver: Resolver
    ) -> None:
        self.run = run
        self.organization = run.organization
        self.scan = scan
        self.numbers = numbers
        self.resolver = resolver
        self.goals = Counts()
        self.outcomes = Counts()
        self.goal_rows: dict[str, GoalRow] = {}
        self.outcome_rows: dict[str, OutcomeRow] = {}
        self.linked_new = 0
        self.linked_existing = 0
        self.kept: list[dict[str, Any]] = []
        self._outcomes: dict[tuple[int, str], int | None] = {}
        self.existing_goal_ids: dict[str, int] = {}

    def check(self) -> None:
        """Keep the goal and outcome rows that can be imported; every other one is a problem."""
        scan = self.scan
        rows: dict[str, GoalRow] = {}
        for row in scan.goal_rows:
            message = _goal_problem(row)
            if row.key in rows:
                message = f"duplicate goal key {row.key}, first on line {rows[row.key].line}"
            if message:
                scan.problem(row.line, message)
            else:
                rows[row.key] = row
        for key in list(rows):
            parent = rows[key].parent
            if parent and parent not in rows and _goal_choice(parent, self.numbers) is None:
                scan.problem(
                    rows[key].line,
                    f"parent {parent} is neither a goal of the file nor one of this organization",
                )
                del rows[key]
        for key in _in_cycles(rows):
            scan.problem(rows[key].line, f"goal {key} is its own ancestor (a parent cycle)")
            del rows[key]
        # A goal under one that cannot be imported cannot be either.
        changed = True
        while changed:
            changed = False
            for key in list(rows):
                parent = rows[key].parent
                if parent and parent not in rows and _goal_choice(parent, self.numbers) is None:
                    scan.problem(rows[key].line, f"its parent {parent} cannot be imported")
                    del rows[key]
                    changed = True
        self.goal_rows = rows
        for outcome in scan.outcome_rows:
            message = _outcome_problem(outcome)
            if (
                not message
                and outcome.goal not in rows
                and _goal_choice(outcome.goal, self.numbers) is None
            ):
                message = f"goal {outcome.goal} is neither in the file nor one of this organization"
            if not message and outcome.key in self.outcome_rows:
                message = (
                    f"duplicate outcome key {outcome.key}, first on line "
                    f"{self.outcome_rows[outcome.key].line}"
                )
            if message:
                scan.problem(outcome.line, message)
            else:
                self.outcome_rows[outcome.key] = outcome
        self.existing_goal_ids = dict(
            Goal.objects.filter(
                organization=self.organization,
                source=self.run.source,
                external_key__in=list(rows),
            ).values_list("external_key", "id")
        )
        existing_goals = set(self.existing_goal_ids)
        self.goals.new = len(rows) - len(existing_goals)
        self.goals.unchanged = len(existing_goals)
        existing_outcomes = set(
            Outcome.objects.filter(
                organization=self.organization,
                source=self.run.source,
                external_key__in=list(self.outcome_rows),
            ).values_list("external_key", flat=True)
        )
        self.outcomes.new = len(self.outcome_rows) - len(existing_outcomes)
        self.outcomes.unchanged = len(existing_outcomes)

    def note_link(self, row: WorkRow, verdict: str, goal_id: int | None) -> None:
        """Count what a strategy task's goal does: links new work, links work without a goal,
        or disagrees with a link made in Vindaris (which is kept, and listed)."""
        if verdict == "new":
            self.linked_new += 1
            return
        if goal_id is None:
            self.linked_existing += 1
            return
        wanted = self.existing_goal_ids.get(row.goal) or (
            None if row.goal in self.goal_rows else _goal_choice(row.goal, self.numbers)
        )
        if wanted != goal_id:
            here = {v: k for k, v in self.numbers.items()}.get(goal_id)
            self.kept.append(
                {
                    "task": None,
                    "key": row.key,
                    "file": row.goal,
                    "goal": f"G-{here}" if here else "a goal you cannot see",
                }
            )

    def existing_outcome(self, goal_id: int, key: str) -> int | None:
        """The id of outcome `key` ("O-4") of an existing goal, remembered."""
        if (goal_id, key) not in self._outcomes:
            match = re.match(r"^O-(\d{1,9})$", key)
            self._outcomes[(goal_id, key)] = (
                Outcome.objects.filter(
                    organization=self.organization, goal_id=goal_id, number=int(match.group(1))
                )
                .values_list("id", flat=True)
                .first()
                if match
                else None
            )
        return self._outcomes[(goal_id, key)]

    def apply(self, actor: User) -> tuple[dict[str, int], dict[str, int], int]:
        """Create the file's new goals (parents first) and outcomes; goals and outcomes an
        earlier import made are left as they are (a planner may have changed them since).
        Returns the goal and outcome ids by file key, and how many goals were created."""
        organization = self.organization
        goal_ids: dict[str, int] = dict(
            Goal.objects.filter(
                organization=organization,
                source=self.run.source,
                external_key__in=list(self.goal_rows),
            ).values_list("external_key", "id")
        )
        members = self.resolver.members
        created = 0
        pending = [key for key in self.goal_rows if key not in goal_ids]
        while pending:
            ready = [
                key
                for key in pending
                if not self.goal_rows[key].parent
                or self.goal_rows[key].parent in goal_ids
                or self.goal_rows[key].parent not in self.goal_rows
            ]
            for key in ready:
                row = self.goal_rows[key]
                parent_id = None
                if row.parent:
                    parent_id = goal_ids.get(row.parent) or _goal_choice(row.parent, self.numbers)
                owner_id = members.get(row.owner) if row.owner else None
                goal = goal_services.goal_create(
                    organization=organization,
                    actor=actor,
                    title=row.title,
                    description=row.description,
                    parent=Goal.objects.get(organization=organization, pk=parent_id)
                    if parent_id
                    else None,
                    owner=Membership.objects.get(organization=organization, pk=owner_id)
                    if owner_id
                    else None,
                    priority=row.priority or Priority.P2,
                    status=row.status or GoalStatus.DRAFT,
                    start_date=row.start,
                    end_date=row.end,
                    confidential=row.confidential,
                    source=self.run.source,
                    external_key=key,
                )
                goal_ids[key] = goal.pk
                created += 1
            pending = [key for key in pending if key not in goal_ids]
            if not ready:
                raise ImportFailed("The goals' parents could not be ordered.")
        outcome_ids: dict[str, int] = dict(
            Outcome.objects.filter(
                organization=organization,
                source=self.run.source,
                external_key__in=list(self.outcome_rows),
            ).values_list("external_key", "id")
        )
        for key, measure in self.outcome_rows.items():
            if key in outcome_ids:
                continue
            goal_id = goal_ids.get(measure.goal) or _goal_choice(measure.goal, self.numbers)
            outcome = goal_services.outcome_create(
                organization=organization,
                actor=actor,
                goal=Goal.objects.get(organization=organization, pk=goal_id or 0),
                title=measure.title,
                baseline=measure.baseline,
                target=measure.target,
                current=measure.current,
                unit=measure.unit,
                direction=measure.direction or Direction.INCREASE,
                due_date=measure.due,
                source=self.run.source,
                external_key=key,
            )
            outcome_ids[key] = outcome.pk
        return goal_ids, outcome_ids, created


def _goal_problem(row: GoalRow) -> str:
    if row.status and row.status not in GoalStatus.values:
        return f"status '{row.status}' is not one of {', '.join(GoalStatus.values)}"
    if row.priority is not None and row.priority not in Priority.values:
        return f"priority {row.priority} is not one of P1–P4"
    if row.start and row.end and row.end < row.start:
        return "the period ends before it starts"
    if len(row.title) > TITLE_MAX:
        return f"title is {len(row.title)} characters; the limit is {TITLE_MAX}"
    return ""


def _outcome_problem(row: OutcomeRow) -> str:
    if row.direction and row.direction not in Direction.values:
        return f"direction '{row.direction}' is not increase or decrease"
    try:
        goal_services.check_outcome_values(
            row.baseline, row.target, row.direction or Direction.INCREASE
        )
    except ValidationError as error:
        return " ".join(error.messages)
    if len(row.title) > TITLE_MAX:
        return f"title is {len(row.title)} characters; the limit is {TITLE_MAX}"
    return ""


def _in_cycles(rows: dict[str, GoalRow]) -> list[str]:
    """The goals whose parent chain comes back to them."""
    cyclic = []
    for key in rows:
        seen = {key}
        parent = rows[key].parent
        while parent in rows:
            if parent == key:
                cyclic.append(key)
                break
            if parent in seen:
                break
            seen.add(parent)
            parent = rows[parent].parent
    return cyclic


# Applying --------------------------------------------------------------------------------


def apply(run: ImportRun) -> None:
    """Apply the file under its mapping, in the caller's transaction: create what is new,
    update what changed (never a link made in Vindaris), and record what was done with the
    coverage headline before and after."""
    organization = run.organization
    viewer = _member(run, run.applied_by)
    actor = viewer.user
    now = timezone.now()
    before = coverage_headline(organization=organization, viewer=viewer, now=now)
    mapping = Mapping.from_json(run.mapping)
    resolver = Resolver(organization, mapping)
    numbers = _visible_goal_numbers(organization, viewer)
    label = source_label(run.source)
    # First pass: every row's grouping and parent, the strategy's goals and outcomes.
    scan = Scan()
    with _items(run) as (reader, items, position):
        for item in items:
            scan.take(item)
            if scan.rows % BATCH == 0:
                progress.report(organization.pk, run.pk, "checking", position(), run.size * 4)
    resolver.learn(set(scan.people))
    strategy = _Strategy(run, scan, numbers, resolver)
    strategy.check()
    goal_ids, outcome_ids, goals_created = strategy.apply(actor)
    group_goals, groups_created = _group_goals(run, scan, mapping, numbers, actor)
    created = updated = unchanged = skipped = linked = 0
    first_number = 0
    done = 0
    # The work's per-goal coverage is recounted once at the end rather than row by row
    # (traceability migration 0009): for this organization, in this transaction only.
    _defer_coverage(organization)
    with _items(run) as (reader, items, position):
        rows = (item for item in items if isinstance(item, WorkRow))
        for batch in _batches(rows):
            progress.report(
                organization.pk, run.pk, "applying", run.size + 3 * position(), run.size * 4
            )
            resolver.learn({row.assignee for row in batch})
            existing = _existing(organization, reader.source, [row.key for row in batch])
            new: list[work_services.ImportedTask] = []
            changes: list[work_services.ImportedChange] = []
            for row in batch:
                if row.line in scan.bad_lines:
                    continue
                if row.goal or row.outcome:
                    if _link_problem(row, strategy, numbers):
                        skipped += 1
                        continue
                    goal_id = goal_ids.get(row.goal) or _goal_choice(row.goal, numbers)
                    outcome_id = None
                    if row.outcome:
                        outcome_id = outcome_ids.get(row.outcome) or strategy.existing_outcome(
                            goal_id or 0, row.outcome
                        )
                else:
                    goal_id, outcome_id = group_goals.get(scan.group_of(row.key)), None
                values = resolver.values(row)
                task = existing.get(row.key)
                if task is None:
                    new.append(
                        work_services.ImportedTask(
                            source=reader.source,
                            external_key=row.key,
                            goal_id=goal_id,
                            outcome_id=outcome_id if goal_id else None,
                            **values.__dict__,
                        )
                    )
                    continue
                link = goal_id if task["goal_id"] is None else None
                if _differences(task, values) or link:
                    updated += 1
                    linked += 1 if link else 0
                    changes.append(
                        work_services.ImportedChange(
                            task_id=task["id"], goal_id=link, **values.__dict__
                        )
                    )
                else:
                    unchanged += 1
            first = work_services.tasks_import(
                organization=organization,
                actor=actor,
                import_run_id=run.pk,
                label=label,
                tasks=new,
            )
            first_number = first_number or first
            created += len(new)
            work_services.tasks_import_update(
                organization=organization, actor=actor, label=label, changes=changes
            )
            done += len(batch)
    _recount_coverage(organization)
    after = coverage_headline(organization=organization, viewer=viewer, now=timezone.now())
    run.result = {
        "tasks": {"new": created, "changed": updated, "unchanged": unchanged},
        "linked_existing": linked,
        "skipped": skipped + scan.problems_count,
        "goals_created": goals_created + groups_created,
        "orphaned_created": Task.objects.filter(
            organization=organization,
            import_run=run,
            goal__isnull=True,
            status__in=LIVE_STATUSES,
        ).count(),
        "first_task": first_number,
        "before": _headline_json(before),
        "after": _headline_json(after),
    }
    run.state = ImportState.APPLIED
    run.applied_at = timezone.now()
    run.save(update_fields=["result", "state", "applied_at"])
    _delete_file_on_commit(run)
    progress.report(organization.pk, run.pk, "applying", 1, 1)


def _link_problem(row: WorkRow, strategy: "_Strategy", numbers: dict[int, int]) -> str:
    """Why the goal and outcome a strategy file's task names cannot be taken ("" when they can):
    the file's own keys first, then this organization's numbers (goals the importer sees)."""
    if not row.goal and row.outcome in strategy.outcome_rows:
        row.goal = strategy.outcome_rows[row.outcome].goal  # the outcome's goal is meant
    if not row.goal:
        return "an outcome needs its goal" if row.outcome else ""
    goal_id = None
    if row.goal not in strategy.goal_rows:
        goal_id = _goal_choice(row.goal, numbers)
        if goal_id is None:
            return f"goal {row.goal} is neither in the file nor one of this organization"
    if not row.outcome:
        return ""
    outcome = strategy.outcome_rows.get(row.outcome)
    if outcome is not None:
        if outcome.goal != row.goal:
            return f"outcome {row.outcome} measures {outcome.goal}, not {row.goal}"
        return ""
    if goal_id is None or strategy.existing_outcome(goal_id, row.outcome) is None:
        return f"outcome {row.outcome} is neither in the file nor one of {row.goal}"
    return ""


def _group_goals(
    run: ImportRun, scan: Scan, mapping: Mapping, numbers: dict[int, int], actor: User
) -> tuple[dict[str, int | None], int]:
    """Each mapped grouping's goal id: an existing goal, or a new draft goal named after the
    grouping (one an earlier import of the same grouping made is reused)."""
    goals: dict[str, int | None] = {}
    created = 0
    earlier = dict(
        Goal.objects.filter(
            organization=run.organization,
            source=run.source,
            external_key__in=[key for key, choice in mapping.groups.items() if choice == NEW_GOAL],
        ).values_list("external_key", "id")
    )
    for key, choice in mapping.groups.items():
        if choice == NEW_GOAL:
            if key in earlier:
                goals[key] = earlier[key]
                continue
            title = (scan.group_titles.get(key) or key)[:TITLE_MAX]
            goal = goal_services.goal_create(
                organization=run.organization,
                actor=actor,
                title=title,
                description=f"Imported from {source_label(run.source)} ({key}).",
                status=GoalStatus.DRAFT,
                source=run.source,
                external_key=key[:100],
            )
            goals[key] = goal.pk
            created += 1
        elif choice != NO_GOAL:
            goal_id = _goal_choice(choice, numbers)
            if goal_id is None:
                raise ImportFailed(
                    f"{choice}, chosen for {key}, no longer exists or is hidden from you;"
                    " choose again in the dry run."
                )
            goals[key] = goal_id
    return goals, created


def _defer_coverage(organization: Organization) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('vindaris.coverage_deferred', %s, true)", [str(organization.pk)]
        )


def _recount_coverage(organization: Organization) -> None:
    """End the deferral and bring the organization's per-goal coverage rows to a recount of
    its tasks, in the import's transaction: they are right the moment it commits."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('vindaris.coverage_deferred', '', true)")
    goal_coverage_refresh(organization=organization)


def _headline_json(headline: Any) -> dict[str, Any]:
    return {
        "linked_percent": headline.linked_percent,
        "live_effort": headline.live_effort,
        "orphaned": headline.orphaned,
        "stranded": headline.stranded,
        "suspect": headline.suspect,
        "starved": headline.starved,
    }
