"""Every URL keyword and every list page's query string gets hostile values. The URL converters
shape what reaches a view (an int keyword takes digits only); whatever passes them, numbers past
2^63 included, answers 404 when it names nothing, never a 500 from the database."""

from goals.models import Goal, Outcome
from tests.hardening import site
from tests.hardening.fuzz import Findings, fuzz_keyword, fuzz_query, fuzzing
from work.models import Task

# Examples per URL keyword, spread over the routes that have it.
EXAMPLES_PER_KEYWORD = 200
# Examples per list page's query string, as admin; a viewer runs the same code with fewer
# controls on the page, so a smaller run proves its side.
EXAMPLES_PER_QUERY = 200
EXAMPLES_PER_QUERY_AS_VIEWER = 25
PAST_BIGINT = ("9223372036854775808", "99999999999999999999", "1" + "0" * 40)


def _routes_by_keyword() -> dict[str, list[site.Route]]:
    by_keyword: dict[str, list[site.Route]] = {}
    for r in site.routes("organization", "public"):
        for keyword in site.keywords(r.route):
            by_keyword.setdefault(keyword, []).append(r)
    return by_keyword


def _existing(world) -> dict[str, list[str]]:
    org = world.org
    return {
        "org_slug": [org.slug],
        "goal_number": [
            str(n) for n in Goal.objects.filter(organization=org).values_list("number", flat=True)
        ],
        "outcome_number": [
            str(n)
            for n in Outcome.objects.filter(organization=org).values_list("number", flat=True)
        ],
        "task_number": [
            str(n) for n in Task.objects.filter(organization=org).values_list("number", flat=True)
        ],
        "token": [s["token"] for s in world.samples],
        "uidb64": [s["uidb64"] for s in world.samples],
    }


def test_every_url_keyword_survives_hostile_values(world):
    by_keyword = _routes_by_keyword()
    assert {"org_slug", "goal_number", "outcome_number", "task_number", "token"} <= set(by_keyword)
    existing = _existing(world)
    findings = Findings()
    with fuzzing():
        for keyword, routes in sorted(by_keyword.items()):
            # A keyword this test does not know yet is fuzzed all the same, without the
            # "names nothing: 404" check (it cannot tell which values name something).
            fuzz_keyword(
                findings, world, keyword, routes, existing.get(keyword), EXAMPLES_PER_KEYWORD
            )
    findings.assert_clean()


def test_numbers_past_bigint_in_any_url_are_404_not_a_database_error(world):
    client = world.clients["admin"]
    wrong = []
    with fuzzing():
        for r in site.routes("organization"):
            for keyword in site.keywords(r.route):
                if site.converter(r.route, keyword) != "int":
                    continue
                for number in PAST_BIGINT:
                    values = {"org_slug": world.org.slug, **world.samples[0], keyword: number}
                    path = site.fill(r.route, values)
                    for method in ("get", "post"):
                        ex = site.exchange(client, method, path)
                        if ex.status not in (404, 405) or ex.problems():
                            wrong.append(f"{ex.label} answered {ex.status} {ex.problems()}")
    assert wrong == []


def test_list_filters_survive_hostile_query_strings(world):
    findings = Findings()
    with fuzzing():
        for identity in ("admin", "viewer"):
            forms = world.forms(identity, world.org_pages())
            lists = {name: form for (method, name), form in forms.items() if method == "get"}
            assert {"goal_list", "work_list"} <= set(lists)
            for name, form in sorted(lists.items()):
                params = dict(form.fields)
                for key in site.query_keys_read_by(name):
                    params.setdefault(key, site.Field(key, "text"))
                if identity == "admin":
                    fuzz_query(findings, world, identity, form.action, params, EXAMPLES_PER_QUERY)
                else:  # the admin's run swept the edges of these very filters
                    examples = EXAMPLES_PER_QUERY_AS_VIEWER
                    fuzz_query(
                        findings, world, identity, form.action, params, examples, sweep=False
                    )
    findings.assert_clean()
