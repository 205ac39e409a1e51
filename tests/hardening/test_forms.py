"""Every form of the site, found on its pages, gets hostile POST bodies: NUL bytes, 10 KB
strings, unicode edge cases, numbers past 2^63, impossible dates, missing and unknown fields,
several values for one field, and ids of another organization. Every answer is below 500, a
refused one (4xx, a form re-rendered with errors, an error message) writes nothing, and no
accepted one leaves a row pointing into another organization."""

from tests.hardening import site
from tests.hardening.fuzz import (
    EXAMPLES_PER_FORM,
    EXAMPLES_PER_REFUSED_FORM,
    Findings,
    fuzz_form,
    fuzzing,
)


def _posts(forms: dict[tuple[str, str], site.Form]) -> dict[str, site.Form]:
    return {name: form for (method, name), form in sorted(forms.items()) if method == "post"}


def _is_org(form: site.Form) -> bool:
    return form.action.startswith("/o/")


def test_the_fuzzer_finds_the_forms_of_every_area(world):
    found = _posts(world.forms("admin", world.org_pages() + world.public_pages()))
    # One of each area, so that a broken discovery cannot pass for a clean run.
    for name in (
        "goal_create",
        "goal_access",
        "goal_access_revoke",
        "outcome_check_in",
        "goal_task_add",
        "task_move",
        "task_keep",
        "member_invite",
        "organization_settings",
        "digest_preferences",
        "goal_comments",
        "comment_edit",
        "comment_delete",
        "update_create",
        "update_reminder_preferences",
        "organization_create",
        "password_change",
    ):
        assert name in found, f"No form posting to {name} was found on the pages"
    assert {"title", "description", "parent", "owner", "start_date"} <= set(
        found["goal_create"].fields
    )


def test_every_form_survives_hostile_posts_from_an_admin(world):
    # Forms an anonymous visitor reaches too (log in, password reset…) are fuzzed as anonymous.
    public = _posts(world.forms("anonymous", world.public_pages() + world.org_pages()))
    forms = {
        name: form
        for name, form in _posts(
            world.forms("admin", world.org_pages() + world.public_pages())
        ).items()
        if name not in public
    }
    findings = Findings()
    with fuzzing():
        for form in forms.values():
            fuzz_form(findings, world, "admin", form, EXAMPLES_PER_FORM)
    findings.assert_clean()
    assert len(findings.examples) >= 20


def test_a_viewer_is_refused_every_form_it_is_not_offered_and_survives_the_rest(world):
    offered = _posts(world.forms("viewer", world.org_pages()))
    # Log out and the emailed unsubscribe link are the same for anyone: fuzzed as admin and as
    # anonymous; the viewer's own are the organization forms its pages offer.
    public = _posts(world.forms("anonymous", world.public_pages() + world.org_pages()))
    theirs = {name: form for name, form in offered.items() if name not in public and _is_org(form)}
    others = {
        name: form
        for name, form in _posts(world.forms("admin", world.org_pages())).items()
        if name not in offered and _is_org(form)
    }
    findings = Findings()
    with fuzzing():
        for form in theirs.values():
            fuzz_form(findings, world, "viewer", form, EXAMPLES_PER_FORM)
        for form in others.values():
            fuzz_form(findings, world, "viewer", form, EXAMPLES_PER_REFUSED_FORM, only=403)
    findings.assert_clean()
    assert "digest_preferences" in theirs and "goal_create" in others


def test_every_public_form_survives_hostile_posts_from_an_anonymous_visitor(world):
    pages = world.public_pages() + world.org_pages()
    forms = {
        name: form
        for name, form in _posts(world.forms("anonymous", pages)).items()
        if name != "logout"
    }
    findings = Findings()
    with fuzzing():
        for form in forms.values():
            fuzz_form(findings, world, "anonymous", form, EXAMPLES_PER_FORM)
    findings.assert_clean()
    assert {"login", "signup", "invitation_accept", "password_reset"} <= set(forms)
