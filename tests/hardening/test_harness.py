"""The harness catches what it is there to catch: a write on a refused request (an insert or an
update), a database error, a redirect off the site; and it does not blame a write that was
rolled back."""

from django.test import override_settings

from tests.hardening import site
from tests.hardening.fuzz import fuzzing
from vindaris.tenancy.models import Organization


@override_settings(ROOT_URLCONF="tests.hardening.canary_urls")
def test_the_harness_sees_each_fault_and_leaves_the_data_as_it_was(world):
    client = world.clients["admin"]
    with fuzzing():
        inserted = site.exchange(client, "post", "/canary/insert/", {})
        updated = site.exchange(client, "post", "/canary/update/", {"name": "far too long"})
        nul = site.exchange(client, "post", "/canary/nul/", {"name": "a\x00b"})
        away = site.exchange(client, "post", "/canary/away/", {})
        undone = site.exchange(client, "post", "/canary/undone/", {})

    assert inserted.problems() == ["was refused (400) yet wrote to ['tenancy_organization']"]
    assert updated.rejected and updated.problems() == [
        "was refused (200) yet wrote to ['tenancy_organization']"
    ]
    assert nul.status == 500 and "DataError" in nul.problems()[0]
    assert away.problems() == ["redirected off the site to 'https://evil.example/'"]
    assert undone.rejected and undone.problems() == []
    # Every exchange was rolled back.
    assert Organization.objects.get(slug="acme").name == world.org.name
    assert not Organization.objects.filter(slug__startswith="canary").exists()


def test_forms_are_read_from_the_page_as_a_browser_would_submit_them():
    html = """
    <form method="post" action="/o/acme/goals/new/">
      <input type="hidden" name="csrfmiddlewaretoken" value="t">
      <input name="title" value="A &amp; B">
      <textarea name="description">
line</textarea>
      <select name="priority">
        <option value="1">P1</option><option value="2" selected>P2</option>
      </select>
      <select name="owner"><option value="">Nobody</option><option value="7">Ann</option></select>
      <input type="checkbox" name="tasks" value="3" checked>
      <input type="checkbox" name="tasks" value="4">
      <button type="submit">Save</button>
    </form>
    <form><input name="q"></form>
    """
    forms = site.parse_page(html, "/o/acme/goals/")
    post, get = forms
    assert post.route == "goal_create" and get.action == "/o/acme/goals/" and get.method == "get"
    assert post.body() == {
        "title": ["A & B"],
        "description": ["line"],
        "priority": ["2"],
        "owner": [""],
        "tasks": ["3"],
    }
    assert post.fields["tasks"].values == ["3", "4"] and post.fields["owner"].values == ["", "7"]
