from goals import services as goal_services
from goals.models import GoalStatus, Priority
from tests.builders import make_goal, make_outcome, make_task
from work import selectors, services


def test_the_live_graph_end_to_end(org, lead, planner):
    goal = make_goal(org, lead, priority=Priority.P1)
    outcome = make_outcome(org, lead, goal)
    task = make_task(org, planner, goal, outcome=outcome, estimate=3)
    assert selectors.goal_counts(goal=goal).live_effort == 3
    goal_services.goal_update(organization=org, actor=lead, goal=goal, status=GoalStatus.ON_HOLD)
    task = selectors.task_get(organization=org, number=task.number)
    assert task.is_stranded and task.is_suspect
    services.goal_confirm_links(organization=org, actor=planner, goal=goal)
    task = selectors.task_get(organization=org, number=task.number)
    assert not task.is_suspect and task.is_stranded
