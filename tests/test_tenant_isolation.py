from django.test import Client, override_settings

from tests.isolation import classify, find_leaks


def test_every_url_pattern_is_classified():
    unclassified = [r.route for r in classify() if r.kind == "unclassified"]
    assert unclassified == [], f"Classify these URL patterns in tests/isolation.py: {unclassified}"


def test_organization_pages_exist_to_be_checked():
    assert len([r for r in classify() if r.kind == "organization"]) >= 5


def test_a_member_of_another_organization_gets_404_everywhere_and_writes_nothing(
    org, admin, outsider, url_samples, client_for
):
    leaks = find_leaks(client_for(outsider), org.slug, url_samples)
    assert leaks == []


def test_an_unknown_organization_slug_is_404_even_for_members(org, admin, client_for):
    assert client_for(admin).get("/o/no-such-org/").status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(org):
    response = Client().get(f"/o/{org.slug}/members/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@override_settings(ROOT_URLCONF="tests.leaky_urls")
def test_the_harness_catches_a_leaky_view(org, admin, outsider, url_samples, client_for):
    leaks = find_leaks(client_for(outsider), org.slug, url_samples, urlconf="tests.leaky_urls")
    assert any("/leak/" in leak and "answered 200" in leak for leak in leaks)
    assert any("/leak/" in leak and "wrote to" in leak for leak in leaks)
