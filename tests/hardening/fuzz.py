"""Run one Hypothesis search per target and collect what went wrong, so that one test covers
every form of the site (found at run time) and names each failing target."""

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.template.base import Template
from django.test.utils import _TestState
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.hardening import site, strategies
from tests.hardening.conftest import World

# Examples per form (each a POST): what `make test` runs for every target.
EXAMPLES_PER_FORM = 200
# A form the role cannot submit is refused before its body is read (403): a handful prove it.
EXAMPLES_PER_REFUSED_FORM = 20

TEXT_KINDS = {"text", "search", "textarea", "url", "tel"}
# What a person types into an empty field of each kind: the first makes a form valid, the rest
# sit on the edges (lengths, ranges, lists of weak passwords) where validation and columns part.
TYPED = {
    "text": ("Ship the pilot", "A much better plan for 2026"),
    "email": (
        "ann@acme.example",
        "a" * 64 + "@" + ("b" * 63 + ".") * 3 + "example",  # valid, past a 254-character column
        "x@" + ("d" * 62 + ".") * 4 + "example",
    ),
    "password": ("A much better plan for 2026", "Qz7kd0pLmx", "password123", "short"),
    "number": ("1", "0", "-1", "2147483647", "2147483648", "9223372036854775808", "1.5", "1e3"),
    "date": ("2026-01-15", "0001-01-01", "9999-12-31", "2026-02-29", "2028-02-29"),
}


def typed(f: site.Field) -> list[str]:
    """Values a person could type into the field, and the edges of its rendered limits."""
    kind = "text" if f.kind in TEXT_KINDS else f.kind
    values = list(TYPED.get(kind, ()))
    if f.limits.get("maxlength", "").isdigit():
        n = int(f.limits["maxlength"])
        values += ["x" * n, "x" * (n + 1), "é" * n, " " * n]
    for bound in ("min", "max"):
        raw = f.limits.get(bound, "")
        if re.fullmatch(r"-?[0-9]+", raw):
            values += [str(int(raw) - 1), raw, str(int(raw) + 1)]
    return values


@dataclass
class Findings:
    """Per target: the examples asked for and run, and the failures Hypothesis shrank."""

    asked: dict[str, int] = field(default_factory=dict)
    examples: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def start(self, target: str, examples: int) -> None:
        self.asked[target] = examples
        self.examples[target] = 0

    def record(self, target: str, run: Callable[[], None]) -> None:
        try:
            run()
        except Exception as e:  # Hypothesis re-raises the shrunk failure
            self.failures.append(f"{target}: {e}")

    def assert_clean(self) -> None:
        assert not self.failures, "\n\n".join(self.failures)
        short = {t: n for t, n in self.examples.items() if n < self.asked[t]}
        assert not short, f"Targets that ran fewer examples than asked: {short}"


@contextmanager
def fuzzing() -> Iterator[None]:
    """Thousands of requests, fast: no log line per expected 4xx, and templates rendered without
    the test client's context capture (nothing here reads response.context)."""
    loggers = [logging.getLogger(n) for n in ("django.request", "django.security", "axes")]
    levels = [lg.level for lg in loggers]
    instrumented = Template._render
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    Template._render = _TestState.saved_data.template_render  # type: ignore[method-assign]
    try:
        yield
    finally:
        Template._render = instrumented  # type: ignore[method-assign]
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


DROP = None  # the field is left out of the body
CHOICE_KINDS = {"select", "hidden", "checkbox", "radio"}


def filled(f: site.Field) -> list[str] | None:
    """The field as a person sends it: what the page holds, or what they type into it empty."""
    return [v for v in f.default if v] or typed(f)[:1] or list(f.default) or DROP


def filled_body(form: site.Form) -> dict[str, list[str]]:
    return {name: v for name, f in form.fields.items() if (v := filled(f)) is not DROP}


def edge_bodies(form: site.Form, world: World) -> list[dict[str, list[str]]]:
    """The filled form with one field changed at a time: to each value on the edges of what
    it accepts, left out, and (for a choice) to each id of another organization. Run first, in
    order, so that no edge depends on the luck of the draw."""
    base = filled_body(form)
    bodies = [base]
    for name, f in form.fields.items():
        values = typed(f) + (world.foreign_ids if f.kind in CHOICE_KINDS else [])
        bodies += [{**base, name: [v]} for v in dict.fromkeys(values)]
        bodies.append({k: v for k, v in base.items() if k != name})
    return bodies


def field_strategy(f: site.Field, world: World) -> st.SearchStrategy[list[str] | None]:
    """One field's value(s) in an example, or DROP. The first branch is the field as a person
    sends it, which is what Hypothesis shrinks towards; repeated branches weigh more."""
    offered = list(dict.fromkeys(f.values + typed(f)))
    offered_one = st.sampled_from(offered) if offered else st.just("")
    keep = st.just(filled(f))
    one_offered = offered_one.map(lambda v: [v])
    one_hostile = strategies.HOSTILE.map(lambda v: [v])
    return st.one_of(
        keep,
        keep,
        keep,
        one_offered,
        one_offered,
        one_hostile,
        one_hostile,
        st.just(DROP),
        st.sampled_from(world.foreign_ids + world.own_ids).map(lambda v: [v]),
        st.lists(st.one_of(offered_one, strategies.HOSTILE), min_size=2, max_size=3),
    )


def body_strategy(form: site.Form, world: World) -> st.SearchStrategy[dict[str, list[str]]]:
    """The form's fields, each kept, replaced, repeated or dropped, plus a few unknown ones."""
    known = st.fixed_dictionaries(
        {name: field_strategy(f, world) for name, f in form.fields.items()}
    )
    extra = st.dictionaries(strategies.FIELD_NAMES, strategies.HOSTILE, max_size=2)

    def combine(parts: tuple[dict[str, list[str] | None], dict[str, str]]) -> dict[str, list[str]]:
        fields, unknown = parts
        body = {k: v for k, v in fields.items() if v is not DROP}
        for name, value in unknown.items():
            body.setdefault(name, [value])
        return body

    return st.tuples(known, extra).map(combine)


def searched(
    run: Callable[..., None], edges: list[dict[str, Any]], examples: int, **strategies_: Any
) -> Callable[[], None]:
    """`run` as a Hypothesis test: the edge examples first, then a random search, `examples` in
    all (at least half of them random)."""
    for kwargs in reversed(edges):  # @example runs them in the order they were added
        run = example(**kwargs)(run)
    generated = max(examples - len(edges), examples // 2)
    return settings(max_examples=generated)(given(**strategies_)(run))


def fuzz_form(
    findings: Findings,
    world: World,
    identity: str,
    form: site.Form,
    examples: int,
    *,
    only: int | None = None,
) -> None:
    """POST hostile bodies built from the form's fields; every answer is < 500 (exactly `only`
    when given), and a refused one wrote nothing."""
    client = world.clients[identity]
    target = f"{identity} POST {form.route}"
    findings.start(target, examples)

    def run(body: dict[str, list[str]], htmx: bool, urlencoded: bool) -> None:
        findings.examples[target] += 1
        ex = site.exchange(client, "post", form.action, body, htmx=htmx, urlencoded=urlencoded)
        problems = ex.problems()
        if only is not None and ex.status != only:
            problems.append(f"answered {ex.status}, not {only}")
        assert not problems, f"{ex.describe()} {problems}"

    edges = [
        {"body": body, "htmx": i % 2 == 1, "urlencoded": False}
        for i, body in enumerate(edge_bodies(form, world) if only is None else [])
    ]
    test = searched(
        run,
        edges,
        examples,
        body=body_strategy(form, world),
        htmx=st.booleans(),
        urlencoded=st.booleans(),
    )
    findings.record(target, test)


def fuzz_query(
    findings: Findings,
    world: World,
    identity: str,
    path: str,
    params: dict[str, site.Field],
    examples: int,
    *,
    sweep: bool = True,
) -> None:
    """GET the page with hostile query strings built from its filters (their edges first when
    `sweep`): < 500, nothing written."""
    client = world.clients[identity]
    target = f"{identity} GET {site.route_name(path)}"
    findings.start(target, examples)
    form = site.Form(method="get", action=path, fields=params)

    def run(query: dict[str, list[str]], htmx: bool) -> None:
        findings.examples[target] += 1
        ex = site.exchange(client, "get", path, query, htmx=htmx)
        problems = ex.problems()
        assert not problems, f"{ex.describe()} {problems}"

    edges = [
        {"query": query, "htmx": i % 2 == 1}
        for i, query in enumerate(edge_bodies(form, world) if sweep else [])
    ]
    test = searched(run, edges, examples, query=body_strategy(form, world), htmx=st.booleans())
    findings.record(target, test)


INT_PATH_VALUE = re.compile(r"[0-9]+")


def fuzz_keyword(
    findings: Findings,
    world: World,
    keyword: str,
    routes: list[site.Route],
    existing: list[str] | None,
    examples: int,
) -> None:
    """Put hostile values in one URL keyword of every route that has it (the other keywords
    hold real values): GET and POST, plain and htmx, as admin, viewer and anonymous, with junk
    in the query parameters the view reads. Every answer is < 500 and a refused one wrote
    nothing; an integer keyword naming nothing (numbers past 2^63 included) is a 404."""
    target = f"URL keyword {keyword}"
    findings.start(target, examples)
    query_keys = sorted({k for r in routes for k in site.query_keys_read_by(r.name or "")})
    queries = (
        st.dictionaries(st.sampled_from(query_keys), strategies.HOSTILE, max_size=2)
        if query_keys
        else st.just({})
    )

    @settings(max_examples=examples)
    @given(
        route=st.sampled_from(routes),
        value=strategies.path_values(
            existing if existing is not None else [s[keyword] for s in world.samples]
        ),
        identity=st.sampled_from(["admin", "viewer", "anonymous"]),
        method=st.sampled_from(["get", "post"]),
        htmx=st.booleans(),
        query=queries,
    )
    def run(
        route: site.Route, value: str, identity: str, method: str, htmx: bool, query: dict
    ) -> None:
        findings.examples[target] += 1
        values = {"org_slug": world.org.slug, **world.samples[0], keyword: value}
        path = site.fill(route.route, values)
        if method == "post" and query:
            path += "?" + urlencode(query)
            query = {}
        ex = site.exchange(world.clients[identity], method, path, query, htmx=htmx)
        problems = ex.problems()
        expected = _expected_statuses(route, keyword, value, existing, identity, world)
        if expected and ex.status not in expected:
            problems.append(f"answered {ex.status}, not one of {sorted(expected)}")
        assert not problems, f"{ex.describe()} {problems}"

    findings.record(target, run)


def _expected_statuses(
    route: site.Route,
    keyword: str,
    value: str,
    existing: list[str] | None,
    identity: str,
    world: World,
) -> set[int]:
    """What a member must get for a value naming nothing; empty when anything < 500 will do."""
    if existing is None or identity == "anonymous" or route.kind != "organization":
        return set()  # sent to log in first, or a public page with its own answer
    if keyword == "org_slug":
        return {404} if value != world.org.slug else set()
    if site.converter(route.route, keyword) != "int":
        return set()
    if INT_PATH_VALUE.fullmatch(value) and (value.lstrip("0") or "0") in existing:
        return set()
    # Not a member's object: 404; a role below the view's gets 403 and a wrong method 405
    # before anything is looked up.
    return {404, 405} | ({403} if identity == "viewer" else set())
