"""`{% load goal_health %}{% health_badge health %}`: a goal's health and stale marker, the same
wherever the goal appears (updates.health.GoalHealth; None reads as "no update")."""

from typing import Any

from django import template

from updates.health import NO_HEALTH, GoalHealth

register = template.Library()


@register.inclusion_tag("updates/_health.html")
def health_badge(health: GoalHealth | None, short: bool = False) -> dict[str, Any]:
    """The badge; `short` leaves out "No update" (tables where most goals have none yet)."""
    return {"h": health or NO_HEALTH, "short": short}
