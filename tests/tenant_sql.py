"""Every SQL statement pins every tenant table it touches to one and the same organization.

This is the rule a distributed engine's router needs to send a statement to one shard (Citus:
"all distributed tables filtered to the same distribution column value, or joined to one on it").
`check(sql, params)` parses a statement with sqlglot and returns what breaks the rule; the test
suite runs every statement through it (tests/conftest.py) and fails the test that ran one.

A tenant table (vindaris.lib.distribution.tenant_tables) is **pinned** in its query block (a
SELECT, each arm of a UNION or recursive CTE, a subquery, an UPDATE, DELETE or INSERT) when a
conjunct of the block's WHERE or of a JOIN's ON is
- `x.organization_id = <value>` (a parameter or a literal, `IN (<one value>)` too), or
- `x.organization_id = y.organization_id` where `y` is a pinned tenant table of the same block
  or of an enclosing one (a correlated subquery).
Joins through a CTE or a derived table do not pin (the engine cannot see through them): each
block pins its own tables. An OR does not pin. All the values a statement pins to must be one.

Statements with no tenant table (sessions, users, savepoints, SET) pass. `allow_cross_tenant`
lets a block of code run statements that span organizations, with its reason (admin and
migration paths); ALLOWED lists the statements Django itself runs between tests.
"""

from __future__ import annotations

import contextlib
import functools
import re
import threading
import traceback
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp

from vindaris.lib.distribution import DISTRIBUTION_COLUMN

# Statements that are not application queries, and why they may span organizations.
ALLOWED: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^\s*TRUNCATE\b", re.I), "the test database emptied between tests"),
    (re.compile(r"^\s*(SAVEPOINT|RELEASE|ROLLBACK|BEGIN|COMMIT|SET|SHOW)\b", re.I), "control"),
    (re.compile(r"^\s*(CREATE|ALTER|DROP|COMMENT|VACUUM|ANALYZE)\b", re.I), "schema changes"),
)

# Code that spans organizations on purpose, by "path:function" of a frame on the stack, and why.
# Reviewed: each is a job over several organizations or a harness around the tests, never a
# request's path.
ALLOWED_SITES: dict[str, str] = {
    "bench/generate.py:generate": "the benchmark's bulk load writes all its organizations at once",
    "bench/generate.py:foreign_key_violations": "checks the bulk load of all its organizations",
    "bench/generate.py:finish": "the benchmark's history of snapshots, for all its organizations",
    "vindaris/tenancy/tasks.py:dispatch_jobs": "the dispatcher drains every organization's jobs",
    "webhooks/tasks.py:_pending_organizations": "webhooks: organizations with new events",
    "webhooks/tasks.py:_due_deliveries": "webhooks: every due delivery",
    "tests/isolation.py:row_counts": "the isolation harness counts the rows of every table",
    "tests/hardening/site.py:_snapshot": "the harness counts what a request wrote, in every table",
}

# The tests' own statements (the innermost frame of ours is a test file) are not the
# application's: they set up states no request makes and check the whole database ("nothing was
# written, in any organization"). Test data made through the builders and factories is checked.
_TEST_DATA = ("tests/builders.py", "tests/factories.py")

_PLACEHOLDER = re.compile(r"%%|%s|%\((\w+)\)s")
_local = threading.local()


@dataclass(frozen=True)
class Violation:
    kind: str  # unpinned, two-organizations, unparsed
    detail: str


@dataclass
class _Value:
    """Where a pin's organization comes from: a literal, or a parameter (by index or name)."""

    literal: str | None = None
    param: int | str | None = None

    def resolve(self, params: Sequence[Any] | Mapping[str, Any] | None) -> set[str]:
        """The organizations it names (an array parameter, as of a bulk insert: each)."""
        if self.param is None:
            return {str(self.literal)}
        try:
            value = params[self.param]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            return set()
        values = value if isinstance(value, list | tuple) else [value]
        return {str(v) for v in values if v is not None}


@dataclass
class _Analysis:
    """What a statement's text says, before its parameters: cached per text."""

    violations: list[Violation] = field(default_factory=list)
    values: list[_Value] = field(default_factory=list)
    tenant: bool = False


@contextlib.contextmanager
def allow_cross_tenant(reason: str) -> Iterator[None]:
    """Statements run inside span organizations on purpose; `reason` says why (reviewed)."""
    if not reason.strip():
        raise ValueError("say why these statements may span organizations")
    previous = getattr(_local, "reason", None)
    _local.reason = reason
    try:
        yield
    finally:
        _local.reason = previous


@contextlib.contextmanager
def as_application() -> Iterator[None]:
    """Statements a test runs itself are checked as if the application ran them."""
    _local.strict = True
    try:
        yield
    finally:
        _local.strict = False


def cross_tenant_reason() -> str | None:
    return getattr(_local, "reason", None)


def check(
    sql: str, params: Sequence[Any] | Mapping[str, Any] | None, tenant_tables: frozenset[str]
) -> list[Violation]:
    """What in this statement breaks the rule (empty: it pins to one organization)."""
    for pattern, _reason in ALLOWED:
        if pattern.match(sql):
            return []
    analysis = _analyze(sql, params is not None, tenant_tables)
    violations = list(analysis.violations)
    values = set().union(*(v.resolve(params) for v in analysis.values))
    if len(values) > 1:
        shown = ", ".join(sorted(str(v) for v in values))
        violations.append(Violation("two-organizations", f"pinned to {shown}"))
    return violations


@functools.lru_cache(maxsize=20_000)
def _analyze(sql: str, has_params: bool, tenant_tables: frozenset[str]) -> _Analysis:
    analysis = _Analysis()
    if not any(table in sql for table in tenant_tables):
        return analysis
    text = _named_placeholders(sql) if has_params else sql
    try:
        statements = [s for s in sqlglot.parse(text, read="postgres") if s is not None]
    except sqlglot.errors.SqlglotError as error:
        analysis.violations.append(Violation("unparsed", str(error).splitlines()[0]))
        return analysis
    walker = _Walker(tenant_tables, analysis)
    for statement in statements:
        walker.statement(statement)
    return analysis


def _named_placeholders(sql: str) -> str:
    """`%s` becomes `%(<index>)s`, `%%` becomes `%`: every placeholder has a name to resolve."""
    counter = iter(range(10**6))

    def name(match: re.Match[str]) -> str:
        if match.group(0) == "%%":
            return "%"
        if match.group(1) is not None:
            return match.group(0)
        return f"%(_{next(counter)})s"

    return _PLACEHOLDER.sub(name, sql)


def _value_of(node: exp.Expression) -> _Value | None:
    while isinstance(node, exp.Cast | exp.Paren):
        node = node.this
    if isinstance(node, exp.Literal):
        return _Value(literal=node.this)
    if isinstance(node, exp.Placeholder) and node.this is not None:
        name = node.name
        return _Value(param=int(name[1:]) if re.fullmatch(r"_\d+", name) else name)
    return None


def _conjuncts(node: exp.Expression | None) -> list[exp.Expression]:
    if node is None:
        return []
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And):
        return _conjuncts(node.left) + _conjuncts(node.right)
    return [node]


@dataclass
class _Source:
    alias: str
    table: str | None  # the tenant table, or None for anything else (CTE, derived, reference)


class _Walker:
    def __init__(self, tenant_tables: frozenset[str], analysis: _Analysis) -> None:
        self.tenant_tables = tenant_tables
        self.analysis = analysis

    def fail(self, detail: str) -> None:
        self.analysis.violations.append(Violation("unpinned", detail))

    # Statements ---------------------------------------------------------------------------

    def statement(self, node: exp.Expression) -> None:
        self.block(node, outer={}, ctes=frozenset())

    def block(self, node: exp.Expression, outer: dict[str, bool], ctes: frozenset[str]) -> None:
        """Check one query block and, inside it, every block it contains."""
        with_ = node.args.get("with_") or node.args.get("with")
        if with_ is not None:
            names = frozenset(cte.alias_or_name for cte in with_.expressions)
            ctes = ctes | names
            for cte in with_.expressions:
                self.block(cte.this, outer, ctes)
        if isinstance(node, exp.Union | exp.Intersect | exp.Except):
            self.block(node.left, outer, ctes)
            self.block(node.right, outer, ctes)
            return
        if isinstance(node, exp.Subquery | exp.Paren):
            self.block(node.this, outer, ctes)
            return
        if isinstance(node, exp.Insert):
            self.insert(node, outer, ctes)
            return
        if not isinstance(node, exp.Select | exp.Update | exp.Delete):
            for child in node.iter_expressions():
                self.nested(child, outer, ctes)
            return
        sources, conditions, derived = self.sources(node, ctes)
        pinned = self.pin(sources, conditions, outer)
        for source in sources:
            if source.table is not None and source.alias not in pinned:
                self.fail(f"{source.table} {source.alias} is not pinned to an organization")
        inner = {**outer, **{alias: True for alias in pinned}}
        for block in derived:
            self.block(block, outer, ctes)
        for child in node.iter_expressions():
            if child in derived or isinstance(child, exp.With):
                continue
            self.nested(child, inner, ctes)

    def nested(self, node: exp.Expression, outer: dict[str, bool], ctes: frozenset[str]) -> None:
        """Query blocks anywhere under `node` (subqueries in conditions, select lists, ...)."""
        if isinstance(node, exp.Select | exp.Union | exp.Intersect | exp.Except):
            self.block(node, outer, ctes)
            return
        if isinstance(node, exp.Table | exp.From | exp.Join):
            # Tables were taken as the block's sources; a derived table's query was checked.
            for child in node.iter_expressions():
                if isinstance(child, exp.Subquery):
                    continue
                self.nested(child, outer, ctes)
            return
        for child in node.iter_expressions():
            self.nested(child, outer, ctes)

    def insert(self, node: exp.Insert, outer: dict[str, bool], ctes: frozenset[str]) -> None:
        target = node.this
        table = target.this if isinstance(target, exp.Schema) else target
        name = table.name if isinstance(table, exp.Table) else ""
        query = node.expression
        if name in self.tenant_tables:
            columns = [c.name for c in target.expressions] if isinstance(target, exp.Schema) else []
            if DISTRIBUTION_COLUMN not in columns:
                self.fail(f"INSERT INTO {name} does not name its {DISTRIBUTION_COLUMN}")
            elif isinstance(query, exp.Values):
                index = columns.index(DISTRIBUTION_COLUMN)
                for row in query.expressions:
                    values = row.expressions if isinstance(row, exp.Tuple) else [row]
                    value = _value_of(values[index]) if index < len(values) else None
                    if value is None:
                        self.fail(f"INSERT INTO {name}: a row's organization is not a value")
                    else:
                        self.analysis.values.append(value)
            elif isinstance(query, exp.Select):
                value = self.projected(query, columns.index(DISTRIBUTION_COLUMN))
                if value is not None:
                    self.analysis.values.append(value)
        if query is not None:
            self.nested(query, outer, ctes)
        for key in ("conflict", "returning", "where"):
            if node.args.get(key) is not None:
                self.nested(node.args[key], outer, ctes)

    def projected(self, query: exp.Select, index: int) -> _Value | None:
        """The organization an INSERT ... SELECT writes: a value in the select list, or the
        array an `unnest(...)` spreads (the way Django bulk-creates rows)."""
        items = query.expressions
        if len(items) == 1 and isinstance(items[0], exp.Star):
            from_ = query.args.get("from_") or query.args.get("from")
            function = from_.this if from_ is not None else None
            if isinstance(function, exp.Table):
                function = function.this
            if isinstance(function, exp.Unnest) and index < len(function.expressions):
                return _value_of(function.expressions[index])
            return None
        return _value_of(items[index]) if index < len(items) else None

    # One block ----------------------------------------------------------------------------

    def source(self, node: exp.Expression, ctes: frozenset[str]) -> _Source | None:
        if isinstance(node, exp.Table):
            name = node.name
            alias = node.alias_or_name
            is_tenant = name in self.tenant_tables and not (not node.db and name in ctes)
            return _Source(alias, name if is_tenant else None)
        if isinstance(node, exp.Subquery):
            return _Source(node.alias_or_name, None)
        return None

    def sources(
        self, node: exp.Expression, ctes: frozenset[str]
    ) -> tuple[list[_Source], list[exp.Expression], list[exp.Expression]]:
        """The block's sources, the conjuncts that may pin them, its derived tables' queries."""
        nodes: list[exp.Expression] = []
        conditions: list[exp.Expression] = []
        if isinstance(node, exp.Update | exp.Delete) and node.this is not None:
            nodes.append(node.this)
        from_ = node.args.get("from_") or node.args.get("from")
        if from_ is not None:
            nodes.extend(from_.expressions or [from_.this])
        for key in ("using",):
            nodes.extend(node.args.get(key) or [])
        for join in node.args.get("joins") or []:
            nodes.append(join.this)
            conditions.extend(_conjuncts(join.args.get("on")))
        where = node.args.get("where")
        if where is not None:
            conditions.extend(_conjuncts(where.this))
        sources = [s for s in (self.source(n, ctes) for n in nodes) if s is not None]
        derived = [n for n in nodes if isinstance(n, exp.Subquery)]
        return sources, conditions, derived

    def pin(
        self, sources: list[_Source], conditions: list[exp.Expression], outer: dict[str, bool]
    ) -> set[str]:
        """The aliases of the block's tenant tables that its conditions pin."""
        tenant = {s.alias for s in sources if s.table is not None}
        local = {s.alias for s in sources}
        only = next(iter(tenant)) if len(sources) == 1 and tenant else None

        def owner(column: exp.Expression) -> str | None:
            while isinstance(column, exp.Cast | exp.Paren):
                column = column.this
            if not isinstance(column, exp.Column) or column.name != DISTRIBUTION_COLUMN:
                return None
            if column.table:
                return column.table
            return only

        pinned: set[str] = set()
        links: list[tuple[str, str]] = []
        for condition in conditions:
            if isinstance(condition, exp.EQ):
                sides = [condition.left, condition.right]
            elif isinstance(condition, exp.In) and len(condition.expressions) == 1:
                sides = [condition.this, condition.expressions[0]]
            else:
                continue
            owners = [owner(side) for side in sides]
            for i in (0, 1):
                alias, other = owners[i], sides[1 - i]
                if alias is None or alias not in tenant:
                    continue
                value = _value_of(other)
                if value is not None:
                    pinned.add(alias)
                    self.analysis.values.append(value)
                elif owners[1 - i] is not None:
                    peer = owners[1 - i]
                    if peer in tenant:
                        links.append((alias, peer))
                    elif peer not in local and outer.get(peer):
                        pinned.add(alias)
        changed = True
        while changed:
            changed = False
            for a, b in links:
                if (a in pinned) != (b in pinned):
                    pinned |= {a, b}
                    changed = True
        self.analysis.tenant = self.analysis.tenant or bool(tenant)
        return pinned


# The suite's wrapper ------------------------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    kind: str
    detail: str
    sql: str
    site: str  # where in our code the statement came from


_recorded: list[Recorded] = []
_recorded_lock = threading.Lock()
_ROOT = Path(__file__).resolve().parent.parent
_SKIP = ("/.venv/", "/site-packages/", "/tests/tenant_sql.py", "/vindaris/lib/postgres/")


@functools.cache
def _tables() -> frozenset[str]:
    from vindaris.lib.distribution import tenant_tables

    return tenant_tables()


def _site() -> str | None:
    """Where in our code the statement came from (the innermost three frames), or None when a
    frame on the stack is an allowed site."""
    frames = [
        (str(Path(f.filename).resolve().relative_to(_ROOT)), f.lineno, f.name)
        for f in traceback.extract_stack()
        if f.filename.startswith(str(_ROOT)) and not any(s in f.filename for s in _SKIP)
    ]
    if any(f"{path}:{name}" in ALLOWED_SITES for path, _, name in frames):
        return None
    innermost = frames[-1][0] if frames else ""
    if (
        innermost.startswith("tests/")
        and innermost not in _TEST_DATA
        and not getattr(_local, "strict", False)
    ):
        return None
    return " < ".join(f"{path}:{line} {name}" for path, line, name in reversed(frames[-3:])) or "?"


def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
    """A connection.execute_wrapper: checks each statement, records what breaks the rule."""
    if cross_tenant_reason() is None and isinstance(sql, str):
        found: list[Violation] = []
        for one in (params or [None]) if many else [params]:
            found.extend(check(sql, one, _tables()))
        site = _site() if found else None
        if site is not None:
            with _recorded_lock:
                _recorded.extend(Recorded(v.kind, v.detail, sql, site) for v in found)
    return execute(sql, params, many, context)


def recorded() -> list[Recorded]:
    with _recorded_lock:
        return list(_recorded)


def forget() -> None:
    with _recorded_lock:
        _recorded.clear()


def install() -> None:
    """Put the wrapper on every connection, the ones opened later (threads) included."""
    from django.db import connections
    from django.db.backends.signals import connection_created

    def add(connection: Any) -> None:
        if wrapper not in connection.execute_wrappers:
            connection.execute_wrappers.append(wrapper)

    for connection in connections.all(initialized_only=True):
        add(connection)
    for alias in connections:
        add(connections[alias])
    connection_created.connect(lambda sender, connection, **kwargs: add(connection), weak=False)
