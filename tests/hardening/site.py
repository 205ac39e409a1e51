"""The site as a hostile visitor sees it: every route, every form found on its pages, and one
request at a time run in a savepoint that is rolled back, with what it wrote measured.

Targets are discovered, not listed: routes come from tests.isolation.classify(), forms from the
HTML of the pages (html.parser), query parameters from GET forms and from the views' source.
A page or a form added later is fuzzed without touching this package.
"""

import inspect
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from django.apps import apps
from django.contrib.messages import constants as message_levels
from django.core.signals import got_request_exception
from django.db import DatabaseError, connection, transaction
from django.forms import BaseForm
from django.http import HttpResponse
from django.test import Client
from django.urls import Resolver404, get_resolver, resolve

from tests.isolation import Route, classify

# Tables a request may write whatever its outcome: Django's session table (renewed on every
# request) and django-axes' log of failed log-ins (recording a refused log-in is its point).
WRITE_EXEMPT_TABLES = frozenset(
    {"django_session", "axes_accessattempt", "axes_accesslog", "axes_accessfailurelog"}
)
KEYWORD = re.compile(r"<(?:(\w+):)?(\w+)>")
# Parameters a view reads from the query string, found in its module's source.
QUERY_READ = re.compile(r"""request\.GET(?:\.get|\.getlist)?[(\[]\s*["'](\w+)["']""")
# Fields no fuzzer should touch: the test client does not check CSRF (tests/test_http_safety.py
# does), so the token only adds noise.
IGNORED_FIELDS = frozenset({"csrfmiddlewaretoken"})


# Routes ---------------------------------------------------------------------------------------


def routes(*kinds: str) -> list[Route]:
    return [r for r in classify() if r.kind in kinds]


def keywords(route: str) -> list[str]:
    return [m.group(2) for m in KEYWORD.finditer(route)]


def converter(route: str, keyword: str) -> str:
    for m in KEYWORD.finditer(route):
        if m.group(2) == keyword:
            return m.group(1) or "str"
    raise KeyError(keyword)


def fill(route: str, values: Mapping[str, str]) -> str:
    """A concrete path; every value is percent-encoded, whatever it holds."""

    def sub(m: re.Match) -> str:
        return quote(str(values[m.group(2)]), safe="")

    return "/" + KEYWORD.sub(sub, route)


def route_name(path: str) -> str | None:
    try:
        return resolve(urlsplit(path).path).url_name
    except Resolver404:
        return None


def query_keys_read_by(name: str) -> set[str]:
    """Query parameters that the view of `name`, or any function of its module, reads."""
    for pattern in _url_patterns():
        if pattern.name == name:
            view = inspect.unwrap(pattern.callback)
            module = inspect.getmodule(view)
            source = inspect.getsource(module) if module else ""
            return set(QUERY_READ.findall(source))
    return set()


def _url_patterns() -> Iterator[Any]:
    def walk(patterns: list) -> Iterator[Any]:
        for p in patterns:
            if hasattr(p, "url_patterns"):
                yield from walk(p.url_patterns)
            else:
                yield p

    yield from walk(get_resolver().url_patterns)


# Forms found in pages -------------------------------------------------------------------------


@dataclass
class Field:
    name: str
    kind: str  # text, textarea, select, checkbox, hidden, number, date, email, password, …
    values: list[str] = field(default_factory=list)  # what the page offers: value, options
    default: list[str] = field(default_factory=list)  # what a browser would submit untouched
    multiple: bool = False
    limits: dict[str, str] = field(default_factory=dict)  # maxlength, min, max as rendered


@dataclass
class Form:
    method: str
    action: str  # a path, with its query string
    fields: dict[str, Field] = field(default_factory=dict)

    @property
    def route(self) -> str | None:
        return route_name(self.action)

    def body(self) -> dict[str, list[str]]:
        """What submitting the form untouched sends."""
        return {name: list(f.default) for name, f in self.fields.items() if f.default}


class _FormParser(HTMLParser):
    def __init__(self, page_path: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_path = page_path
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._option: dict[str, Any] | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            action = a.get("action") or self.page_path  # no action: the page's own URL
            self._form = Form(method=(a.get("method") or "get").lower(), action=action)
            self.forms.append(self._form)
            return
        form = self._form
        if form is None:
            return
        name = a.get("name")
        if tag == "input" and name and name not in IGNORED_FIELDS:
            kind = a.get("type", "text").lower()
            if kind in {"submit", "button", "image", "reset", "file"}:
                return
            f = form.fields.setdefault(name, Field(name, kind))
            f.limits.update({k: a[k] for k in ("maxlength", "min", "max") if a.get(k)})
            value = a.get("value", "on" if kind in {"checkbox", "radio"} else "")
            f.values.append(value)
            if kind in {"checkbox", "radio"}:
                f.multiple = f.multiple or kind == "checkbox"
                if "checked" in a:
                    f.default.append(value)
            elif not f.default:
                f.default.append(value)
        elif tag == "button" and name:
            f = form.fields.setdefault(name, Field(name, "button"))
            f.values.append(a.get("value", ""))
        elif tag == "select" and name:
            self._select = form.fields.setdefault(
                name, Field(name, "select", multiple="multiple" in a)
            )
        elif tag == "option" and self._select is not None:
            self._option = {"value": a.get("value"), "selected": "selected" in a, "text": ""}
        elif tag == "textarea" and name:
            self._textarea = form.fields.setdefault(name, Field(name, "textarea"))
            self._textarea.limits.update({k: a[k] for k in ("maxlength",) if a.get(k)})
            self._textarea.default = [""]

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option["text"] += data
        elif self._textarea is not None:
            self._textarea.default = [self._textarea.default[0] + data]

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._finish_select()
            self._form = None
        elif tag == "option":
            self._finish_option()
        elif tag == "select":
            self._finish_select()
        elif tag == "textarea" and self._textarea is not None:
            text = self._textarea.default[0]
            # A browser drops the newline that directly follows <textarea>.
            self._textarea.default = [text[1:] if text.startswith("\n") else text]
            self._textarea.values.append(self._textarea.default[0])
            self._textarea = None

    def _finish_option(self) -> None:
        if self._option is None or self._select is None:
            return
        value = self._option["value"]
        value = self._option["text"].strip() if value is None else value
        self._select.values.append(value)
        if self._option["selected"] and value not in self._select.default:
            self._select.default.append(value)
        self._option = None

    def _finish_select(self) -> None:
        self._finish_option()
        select = self._select
        if select is not None and not select.default and select.values and not select.multiple:
            select.default = [select.values[0]]  # a browser submits the first option
        self._select = None


def parse_page(html: str, page_path: str) -> list[Form]:
    parser = _FormParser(page_path)
    parser.feed(html)
    parser.close()
    return parser.forms


def merge(forms: Iterable[Form]) -> dict[tuple[str, str], Form]:
    """One form per (method, route): the first one's action, every field and value seen."""
    merged: dict[tuple[str, str], Form] = {}
    for form in forms:
        name = form.route
        if name is None:
            continue
        target = merged.setdefault(
            (form.method, name), Form(method=form.method, action=form.action)
        )
        for f in form.fields.values():
            known = target.fields.setdefault(
                f.name,
                Field(
                    f.name, f.kind, default=list(f.default), multiple=f.multiple, limits=f.limits
                ),
            )
            known.values.extend(v for v in f.values if v not in known.values)
    return merged


# Requests in a rolled-back savepoint -----------------------------------------------------------


def _tables() -> list[str]:
    names = set()
    for model in apps.get_models(include_auto_created=True):
        names.add(model._meta.db_table)
    return sorted(names - WRITE_EXEMPT_TABLES)


_SNAPSHOT_SQL: str | None = None


def _snapshot_sql() -> str:
    """One query: per table, its rows and the rows written since `mark` (xmin past it)."""
    global _SNAPSHOT_SQL
    if _SNAPSHOT_SQL is None:
        parts = [
            f"SELECT '{t}', count(*), count(*) FILTER (WHERE xmin::text::bigint >= %(mark)s) "  # noqa: S608 - table names from models
            f'FROM "{t}"'
            for t in _tables()
        ]
        _SNAPSHOT_SQL = " UNION ALL ".join(parts)
    return _SNAPSHOT_SQL


def _mark() -> int:
    """A transaction id assigned now, in the caller's savepoint: whatever is written from here on
    carries an xmin at or past it (ids are handed out in order). Rows of the test's own set-up
    are older; rows of a savepoint that was rolled back are invisible."""
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO hardening_mark VALUES (1) RETURNING xmin::text::bigint")
        return cursor.fetchone()[0]


def _snapshot(mark: int) -> dict[str, tuple[int, int]]:
    with connection.cursor() as cursor:
        cursor.execute(_snapshot_sql(), {"mark": mark})
        return {table: (rows, fresh) for table, rows, fresh in cursor.fetchall()}


def written(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> list[str]:
    """Tables whose rows were inserted, updated or deleted between the two snapshots."""
    return sorted(t for t in after if after[t][1] or after[t][0] != before.get(t, (0, 0))[0])


@dataclass
class Exchange:
    """One request and what came of it."""

    method: str
    path: str
    data: Any
    htmx: bool
    status: int = 0
    response: HttpResponse | None = None
    error: BaseException | None = None
    writes: list[str] = field(default_factory=list)
    constraint_error: str = ""
    forms: list[BaseForm] = field(default_factory=list)  # every form the view validated

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {'htmx ' if self.htmx else ''}{self.path}"

    @property
    def rejected(self) -> bool:
        """Refused: a 4xx/5xx, a form that did not validate, or an error message."""
        if self.response is None or self.status >= 400:
            return True
        return any(f.errors for f in self.forms) or error_messages(self.response)

    def problems(self) -> list[str]:
        found = []
        if self.error is not None:
            found.append(f"raised {type(self.error).__name__}: {self.error}")
        elif self.status >= 500:
            found.append(f"answered {self.status}")
        if self.constraint_error:
            found.append(f"left rows breaking a constraint: {self.constraint_error}")
        if self.rejected and self.writes:
            found.append(f"was refused ({self.status}) yet wrote to {self.writes}")
        if self.method == "get" and self.writes:
            found.append(f"a GET wrote to {self.writes}")
        offsite = offsite_redirect(self.response) if self.response is not None else ""
        if offsite:
            found.append(f"redirected off the site to {offsite!r}")
        return found

    def describe(self) -> str:
        return f"{self.label} with {self.data!r}"


class _RolledBack(Exception):
    pass


def exchange(
    client: Client,
    method: str,
    path: str,
    data: Any = None,
    *,
    htmx: bool = False,
    urlencoded: bool = False,
) -> Exchange:
    """Send one request inside a savepoint that is always rolled back, so that every example
    starts from the same data; measure what it wrote and check the deferred constraints."""
    result = Exchange(method=method, path=path, data=data, htmx=htmx)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    raised: list[BaseException] = []  # the first is the cause; later ones may be its echoes

    def on_exception(sender: object, request: object = None, **kwargs: object) -> None:
        error = sys.exc_info()[1]
        if error is not None:
            raised.append(error)

    got_request_exception.connect(on_exception, dispatch_uid="hardening-exchange", weak=False)
    cookies = client.cookies
    client.cookies = type(cookies)()
    client.cookies.update({k: v for k, v in cookies.items() if k != "messages"})
    with connection.cursor() as cursor:  # once per test transaction; a no-op afterwards
        cursor.execute("CREATE TEMP TABLE IF NOT EXISTS hardening_mark (x int)")
    try:
        with transaction.atomic():
            mark = _mark()
            before = _snapshot(mark)
            with _validated_forms() as result.forms:
                if method == "get":
                    response = client.get(path, data or {}, **headers)
                elif urlencoded:
                    response = client.post(
                        path,
                        urlencode(data or {}, doseq=True),
                        content_type="application/x-www-form-urlencoded",
                        **headers,
                    )
                else:
                    response = client.post(path, data or {}, **headers)
            result.response, result.status = response, response.status_code
            result.writes = written(before, _snapshot(mark))
            # Foreign keys are checked at commit, which never comes in a test: check them now.
            # Rolling back the savepoint puts the constraints back to deferred.
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            except DatabaseError as e:  # an IntegrityError names the broken constraint
                result.constraint_error = str(e).splitlines()[0]
            raise _RolledBack
    except _RolledBack:
        pass
    except Exception as e:  # the view raised: a 500 for a real visitor
        result.error, result.status = (raised[0] if raised else e), 500
    finally:
        got_request_exception.disconnect(dispatch_uid="hardening-exchange")
        client.cookies = cookies
    return result


@contextmanager
def _validated_forms() -> Iterator[list[BaseForm]]:
    """Collect every form validated while the block runs (its errors are read afterwards, so
    errors a view adds from a service's ValidationError count too)."""
    seen: list[BaseForm] = []
    original = BaseForm.full_clean

    def full_clean(self: BaseForm) -> None:
        original(self)
        seen.append(self)

    BaseForm.full_clean = full_clean  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        BaseForm.full_clean = original  # type: ignore[method-assign]


def error_messages(response: HttpResponse) -> bool:
    """Did the request queue an error message (views that redirect with "not valid")?"""
    storage = getattr(getattr(response, "wsgi_request", None), "_messages", None)
    if storage is None:
        return False
    queued = list(getattr(storage, "_queued_messages", []))
    loaded = list(getattr(storage, "_loaded_data", []))
    return any(m.level >= message_levels.ERROR for m in queued + loaded)


def offsite_redirect(response: HttpResponse) -> str:
    for header in ("Location", "HX-Redirect", "HX-Location"):
        target = response.headers.get(header, "")
        parts = urlsplit(target.strip())
        if parts.netloc and parts.netloc != "testserver" or target.strip().startswith("//"):
            return target
    return ""


def body(response: HttpResponse) -> str:
    """The response's text, streamed or not."""
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    else:
        content = response.content
    return content.decode(errors="replace")
