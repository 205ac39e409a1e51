from django.urls import path

from . import views

# Organization pages: /o/<org_slug>/…
urlpatterns = [
    # A goal's, an update's and a task's discussion: loaded into their pages, or a page of its own
    path("goals/<int:goal_number>/comments/", views.goal_comments, name="goal_comments"),
    path("tasks/<int:task_number>/comments/", views.task_comments, name="task_comments"),
    path("updates/<int:update_number>/comments/", views.update_comments, name="update_comments"),
    # One comment: /o/<org_slug>/comments/<n>/ (its link opens its page of the discussion)
    path("comments/<int:comment_number>/", views.comment_detail, name="comment_detail"),
    path("comments/<int:comment_number>/edit/", views.comment_edit, name="comment_edit"),
    path("comments/<int:comment_number>/delete/", views.comment_delete, name="comment_delete"),
    # The mention picker's suggestions (htmx): ?goal=<n>, ?update=<n> or ?task=<n>
    path("comments/mentions/", views.comment_mentions, name="comment_mentions"),
]
