"""The bell, the notifications page, opening and marking read, email preferences, following."""

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications import selectors
from notifications.models import GoalFollow, Kind, Notification, NotificationPreference
from tests.builders import make_goal

pytestmark = pytest.mark.django_db


def test_the_unread_count_is_one_query(
    org, admin, lead, membership_of, notify_member, django_assert_num_queries
):
    notify_member(org, lead, admin, "one")
    notify_member(org, lead, admin, "two")
    read = notify_member(org, lead, admin, "three")
    Notification.objects.filter(organization=org, pk=read.pk).update(read_at=read.created_at)
    notify_member(org, admin, lead, "not lead's")

    lead_m = membership_of(lead, org)
    with django_assert_num_queries(1) as captured:
        count = selectors.unread_count(organization=org, membership=lead_m)
    assert count == 2
    sql = captured.captured_queries[0]["sql"]
    assert "COUNT(*)" in sql and "read_at" in sql


def test_the_unread_count_reads_its_partial_index(org, admin, lead, membership_of, notify_member):
    from django.db import connection

    from notifications import services

    lead_m = membership_of(lead, org)
    # a member with a long history, nearly all of it read
    items = [services.Item(lead_m.pk, f"old {i}", "/o/acme/") for i in range(2000)]
    services.notify_each(organization=org, kind=Kind.MENTION, actor=admin, items=items)
    Notification.objects.filter(organization=org).update(read_at=timezone.now())
    notify_member(org, lead, admin, "new")
    queryset = Notification.objects.filter(
        organization=org, recipient_id=lead_m.pk, read_at__isnull=True
    )
    sql, params = queryset.values("id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE notifications_notification")
        cursor.execute(f"EXPLAIN SELECT count(*) FROM ({sql}) AS unread", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "notification_unread_idx" in plan


def test_the_bell_shows_the_count_for_htmx_and_links_to_the_page_without_it(
    org, admin, lead, client_for, notify_member, htmx_headers, django_assert_num_queries
):
    notify_member(org, lead, admin, "Admin mentioned you")
    client = client_for(lead)
    url = reverse("notification_bell", args=[org.slug])
    client.get(url, **htmx_headers)  # the session is read once; the counts below are steady

    # the session, the user, the member's memberships (every page's), the count
    with django_assert_num_queries(4):
        response = client.get(url, **htmx_headers)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<span class="badge">1<span class="visually-hidden"> unread</span></span>' in html
    assert f'href="/o/{org.slug}/notifications/"' in html

    plain = client.get(url)
    assert plain.status_code == 302
    assert plain["Location"] == f"/o/{org.slug}/notifications/"


def test_every_page_has_the_bell_loaded_after_it(org, lead, client_for):
    html = client_for(lead).get(reverse("org_home", args=[org.slug])).content.decode()
    assert 'id="notification-bell"' in html
    assert f'hx-get="/o/{org.slug}/notifications/bell/"' in html
    assert f'href="/o/{org.slug}/notifications/"' in html


def test_the_page_lists_the_members_own_notifications_newest_first(
    org, admin, lead, planner, client_for, notify_member
):
    notify_member(org, lead, admin, "First for lead")
    notify_member(org, lead, planner, "Second for lead")
    notify_member(org, planner, admin, "For planner only")
    response = client_for(lead).get(reverse("notification_list", args=[org.slug]))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("Second for lead") < html.index("First for lead")
    assert "For planner only" not in html
    assert "2 unread." in html


def test_the_page_runs_the_same_queries_for_3_or_60_notifications(
    org, admin, lead, client_for, notify_member, django_assert_max_num_queries
):
    client = client_for(lead)
    url = reverse("notification_list", args=[org.slug])
    for i in range(3):
        notify_member(org, lead, admin, f"n{i}")
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(57):
        notify_member(org, lead, admin, f"m{i}")
    with CaptureQueriesContext(connection) as many:
        page2 = client.get(url + "?page=2")
    assert len(many.captured_queries) == len(few.captured_queries)
    # 60 notifications, 25 a page: page 2 holds the 26th to the 50th newest
    html = page2.content.decode()
    assert "Page 2 of 3" in html
    assert "m31" in html and "m7" in html and "m32" not in html and "m6" not in html


def test_opening_a_notification_marks_it_read_and_lands_on_its_page(
    org, admin, lead, client_for, notify_member
):
    n = notify_member(org, lead, admin, "Admin mentioned you", path=f"/o/{org.slug}/goals/7/")
    response = client_for(lead).post(
        reverse("notification_open", args=[org.slug]), {"notification": n.pk}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/o/{org.slug}/goals/7/"
    n.refresh_from_db()
    assert n.read_at is not None


def test_another_members_notification_cannot_be_opened_or_marked(
    org, other_org, admin, lead, planner, outsider, client_for, notify_member
):
    lead_n = notify_member(org, lead, admin, "for lead")
    theirs = notify_member(other_org, outsider, None, "theirs", path=f"/o/{other_org.slug}/")
    client = client_for(planner)
    for n in (lead_n, theirs):
        response = client.post(
            reverse("notification_open", args=[org.slug]), {"notification": n.pk}
        )
        assert response.status_code == 404
        client.post(reverse("notification_mark_read", args=[org.slug]), {"notification": n.pk})
    assert Notification.objects.filter(read_at__isnull=False).count() == 0


def test_mark_one_and_mark_all_read(org, admin, lead, membership_of, client_for, notify_member):
    a = notify_member(org, lead, admin, "a")
    notify_member(org, lead, admin, "b")
    notify_member(org, lead, admin, "c")
    other = notify_member(org, admin, lead, "admin's")
    client = client_for(lead)
    url = reverse("notification_mark_read", args=[org.slug])
    lead_m = membership_of(lead, org)

    client.post(url, {"notification": a.pk})
    assert selectors.unread_count(organization=org, membership=lead_m) == 2

    response = client.post(url, {"all": "on"})
    assert response.status_code == 302
    assert selectors.unread_count(organization=org, membership=lead_m) == 0
    other.refresh_from_db()
    assert other.read_at is None

    bad = client.post(url, {}, follow=True)
    assert bad.status_code == 200
    assert "Choose a notification, or all of them." in bad.content.decode()


def test_email_preferences_are_the_members_own(org, lead, planner, membership_of, client_for):
    url = reverse("notification_preferences", args=[org.slug])
    client = client_for(lead)
    page = client.get(url).content.decode()
    # the defaults: mentions, replies and assigned work
    assert page.count("checked") == 3

    response = client.post(url, {"kinds": ["goal_update", "task_suspect"]})
    assert response.status_code == 302
    pref = NotificationPreference.objects.get(organization=org)
    assert pref.member_id == membership_of(lead, org).pk
    assert pref.email_kinds == ["goal_update", "task_suspect"]

    bad = client.post(url, {"kinds": ["gossip"]})
    assert bad.status_code == 200
    assert "Select a valid choice" in bad.content.decode()
    assert NotificationPreference.objects.get(organization=org).email_kinds == [
        "goal_update",
        "task_suspect",
    ]


def test_a_new_notification_comes_by_email_as_its_recipient_chose(
    org, admin, lead, planner, client_for, notify_member
):
    client_for(lead).post(
        reverse("notification_preferences", args=[org.slug]), {"kinds": ["reply"]}
    )
    assert notify_member(org, lead, admin, "m", kind=Kind.MENTION).by_email is False
    assert notify_member(org, lead, admin, "r", kind=Kind.REPLY).by_email is True
    # planner never chose: the defaults
    assert notify_member(org, planner, admin, "m", kind=Kind.MENTION).by_email is True
    assert notify_member(org, planner, admin, "u", kind=Kind.GOAL_UPDATE).by_email is False


def test_a_member_follows_and_unfollows_a_goal_they_can_see(
    org, lead, viewer, membership_of, client_for, htmx_headers
):
    goal = make_goal(org, lead, "Win the mid-market")
    client = client_for(viewer)
    url = reverse("goal_follow", args=[org.slug, goal.number])

    fragment = client.get(url, **htmx_headers)
    assert fragment.status_code == 200
    assert 'name="follow" value="1"' in fragment.content.decode()

    response = client.post(url, {"follow": "1"})
    assert response.status_code == 302
    assert GoalFollow.objects.get(organization=org).member_id == membership_of(viewer, org).pk
    again = client.post(url, {"follow": "1"}, **htmx_headers)
    assert 'name="follow" value="0"' in again.content.decode()
    assert GoalFollow.objects.filter(organization=org).count() == 1
    assert selectors.follower_ids(organization=org, goal_ids=[goal.pk]) == {
        goal.pk: [membership_of(viewer, org).pk]
    }

    client.post(url, {"follow": "0"})
    assert not GoalFollow.objects.filter(organization=org).exists()


def test_a_confidential_goal_cannot_be_followed_by_who_cannot_see_it(
    org, lead, planner, client_for
):
    goal = make_goal(org, lead, "Acquire Globex", confidential=True)
    client = client_for(planner)
    url = reverse("goal_follow", args=[org.slug, goal.number])
    assert client.get(url).status_code == 404
    assert client.post(url, {"follow": "1"}).status_code == 404
    assert not GoalFollow.objects.exists()


def test_the_goal_page_loads_the_follow_button_after_it(org, lead, client_for):
    goal = make_goal(org, lead, "Win the mid-market")
    html = (
        client_for(lead).get(reverse("goal_detail", args=[org.slug, goal.number])).content.decode()
    )
    assert f'hx-get="/o/{org.slug}/goals/{goal.number}/follow/"' in html
