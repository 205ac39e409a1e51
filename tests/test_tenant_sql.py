"""The statement checker catches each way a statement can fail to stay on one organization, and
passes the ways ours pin (the whole suite runs through it: tests/conftest.py)."""

import pytest
from django.db import connection

from goals.models import Goal
from tests import tenant_sql
from tests.builders import make_goal, make_task
from vindaris.lib.distribution import tenant_tables
from work.models import Task

TABLES = tenant_tables()


def kinds(sql: str, params=()) -> list[str]:
    return [v.kind for v in tenant_sql.check(sql, params, TABLES)]


PINNED = {
    "an equality on the organization": (
        "SELECT * FROM work_task t WHERE t.organization_id = %s AND t.id = %s",
        [1, 2],
    ),
    "a named parameter": (
        "SELECT * FROM work_task t WHERE t.organization_id = %(org)s",
        {"org": 1},
    ),
    "a join on the organization with a pinned table": (
        "SELECT * FROM work_task t JOIN goals_goal g"
        " ON g.organization_id = t.organization_id AND g.id = t.goal_id"
        " WHERE t.organization_id = %s",
        [1],
    ),
    "a left join pinned in its ON": (
        "SELECT * FROM work_task t LEFT JOIN goals_goal g"
        " ON g.organization_id = %(org)s AND g.id = t.goal_id WHERE t.organization_id = %(org)s",
        {"org": 1},
    ),
    "a correlated subquery joined to its pinned outer table": (
        "SELECT * FROM goals_goal g WHERE g.organization_id = %s AND EXISTS ("
        "SELECT 1 FROM work_task t WHERE t.organization_id = g.organization_id"
        " AND t.goal_id = g.id)",
        [1],
    ),
    "both arms of a recursive CTE": (
        "WITH RECURSIVE up AS ("
        " SELECT g.id, g.parent_id FROM goals_goal g WHERE g.organization_id = %(org)s"
        " AND g.id = %(goal)s"
        " UNION ALL SELECT p.id, p.parent_id FROM goals_goal p JOIN up ON p.id = up.parent_id"
        " WHERE p.organization_id = %(org)s)"
        " SELECT * FROM up",
        {"org": 1, "goal": 5},
    ),
    "an update and its subquery": (
        "UPDATE work_task SET goal_id = NULL WHERE work_task.organization_id = %s"
        " AND goal_id IN (SELECT id FROM goals_goal WHERE organization_id = %s)",
        [1, 1],
    ),
    "a delete with USING": (
        "DELETE FROM traceability_flag f USING work_task t"
        " WHERE f.organization_id = %s AND t.organization_id = f.organization_id"
        " AND t.id = f.task_id",
        [1],
    ),
    "an insert of one organization's rows": (
        "INSERT INTO work_task (organization_id, number, title) VALUES (%s, 1, 'a'), (%s, 2, 'b')",
        [1, 1],
    ),
    "a bulk insert through unnest": (
        "INSERT INTO work_task (number, organization_id)"
        " SELECT * FROM unnest(%s::int[], %s::bigint[])",
        [[1, 2], [7, 7]],
    ),
    "a statement about reference tables only": (
        "SELECT * FROM tenancy_membership m"
        " JOIN tenancy_organization o ON o.id = m.organization_id",
        [],
    ),
}

BROKEN = {
    "a tenant table without any filter": ("SELECT count(*) FROM work_task", []),
    "a filter on something else": ("SELECT * FROM work_task t WHERE t.id = %s", [3]),
    "an organization only in an OR": (
        "SELECT * FROM work_task t WHERE t.organization_id = %s OR t.id = %s",
        [1, 3],
    ),
    "a join by id alone": (
        "SELECT * FROM work_task t JOIN goals_goal g ON g.id = t.goal_id"
        " WHERE t.organization_id = %s",
        [1],
    ),
    "an unpinned subquery": (
        "SELECT * FROM goals_goal g WHERE g.organization_id = %s AND g.id IN ("
        "SELECT goal_id FROM work_task)",
        [1],
    ),
    "a correlated subquery by id alone": (
        "SELECT * FROM goals_goal g WHERE g.organization_id = %s AND EXISTS ("
        "SELECT 1 FROM work_task t WHERE t.goal_id = g.id)",
        [1],
    ),
    "a derived table that does not pin": (
        "SELECT * FROM (SELECT goal_id, count(*) FROM work_task GROUP BY goal_id) w",
        [],
    ),
    "a recursive CTE whose recursive arm does not pin": (
        "WITH RECURSIVE up AS ("
        " SELECT g.id, g.parent_id FROM goals_goal g WHERE g.organization_id = %(org)s"
        " UNION ALL SELECT p.id, p.parent_id FROM goals_goal p JOIN up ON p.id = up.parent_id)"
        " SELECT * FROM up",
        {"org": 1},
    ),
    "a join through a CTE": (
        "WITH mine AS (SELECT * FROM goals_goal WHERE organization_id = %s)"
        " SELECT * FROM mine JOIN work_task t ON t.organization_id = mine.organization_id",
        [1],
    ),
    "an update of every organization": ("UPDATE work_task SET estimate = 0", []),
    "a delete by id": ("DELETE FROM work_task WHERE work_task.id IN (%s, %s)", [1, 2]),
    "an insert that does not name its organization": (
        "INSERT INTO work_task (number, title) VALUES (1, 'a')",
        [],
    ),
    "a select FOR UPDATE joined by id": (
        "SELECT * FROM work_task t JOIN goals_goal g ON g.id = t.goal_id"
        " WHERE t.organization_id = %s FOR UPDATE",
        [1],
    ),
}


@pytest.mark.parametrize("case", PINNED)
def test_statements_that_pin_one_organization_pass(case):
    sql, params = PINNED[case]

    assert kinds(sql, params) == []


@pytest.mark.parametrize("case", BROKEN)
def test_each_kind_of_unpinned_statement_is_caught(case):
    sql, params = BROKEN[case]

    assert "unpinned" in kinds(sql, params)


def test_two_organizations_in_one_statement_are_caught():
    join = (
        "SELECT * FROM work_task t JOIN goals_goal g"
        " ON g.organization_id = %s AND g.id = t.goal_id WHERE t.organization_id = %s"
    )
    assert kinds(join, [1, 1]) == []
    assert kinds(join, [1, 2]) == ["two-organizations"]
    insert = "INSERT INTO work_task (organization_id, number) VALUES (%s, 1), (%s, 2)"
    assert kinds(insert, [1, 2]) == ["two-organizations"]
    unnest = "INSERT INTO work_task (number, organization_id) SELECT * FROM unnest(%s, %s)"
    assert kinds(unnest, [[1, 2], [7, 8]]) == ["two-organizations"]


def test_a_statement_it_cannot_parse_fails_rather_than_passes():
    assert kinds("SELECT FROM work_task WHERE ((", []) == ["unparsed"]


def test_the_orm_pins_its_joins_and_saves_through_the_organization(org, lead, planner):
    """What the ORM writes for a tenant model (tenant foreign keys, TenantModel saves) passes;
    the same query without the organization's filter is caught."""
    goal = make_goal(org, lead, "Launch in Spain")
    task = make_task(org, planner, goal)
    pinned = Task.objects.filter(organization=org, goal__title="Launch in Spain")
    unpinned = Goal.objects.filter(tasks__title=task.title)

    for queryset in (pinned, unpinned):
        sql, params = queryset.query.sql_with_params()
        with tenant_sql.allow_cross_tenant("the statement under test"):
            assert list(queryset) != []
        assert (kinds(sql, params) == []) == (queryset is pinned)


def test_the_suite_runs_every_statement_through_the_checker(org):
    """The conftest wrapper is installed: a statement that does not pin fails the test that
    runs it, unless it runs inside allow_cross_tenant."""
    with tenant_sql.as_application(), connection.cursor() as cursor:
        with tenant_sql.allow_cross_tenant("proving the wrapper"):
            cursor.execute("SELECT count(*) FROM work_task")
        assert tenant_sql.recorded() == []
        cursor.execute("SELECT count(*) FROM goals_goal")
        caught = tenant_sql.recorded()
        tenant_sql.forget()

    assert [v.kind for v in caught] == ["unpinned"]
    assert "goals_goal" in caught[0].detail


def test_a_cross_tenant_block_must_say_why():
    with pytest.raises(ValueError, match="say why"), tenant_sql.allow_cross_tenant(" "):
        pass
