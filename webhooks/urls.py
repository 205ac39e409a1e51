from django.urls import path

from . import views

# Organization pages: /o/<org_slug>/settings/webhooks/…
urlpatterns = [
    path("settings/webhooks/", views.endpoint_list, name="webhook_list"),
    path("settings/webhooks/<int:endpoint_number>/", views.endpoint_detail, name="webhook_detail"),
    path(
        "settings/webhooks/<int:endpoint_number>/rotate/",
        views.endpoint_rotate,
        name="webhook_rotate",
    ),
    path(
        "settings/webhooks/<int:endpoint_number>/delete/",
        views.endpoint_delete,
        name="webhook_delete",
    ),
    path(
        "settings/webhooks/<int:endpoint_number>/deliveries/<uuid:event_id>/redeliver/",
        views.delivery_redeliver,
        name="webhook_redeliver",
    ),
]
