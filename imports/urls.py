from django.urls import path

from . import views

# Organization pages: /o/<org_slug>/import/… (admins and leads)
urlpatterns = [
    path("import/", views.import_start, name="import_start"),
    path("import/<int:import_number>/", views.import_detail, name="import_detail"),
    path("import/<int:import_number>/progress/", views.import_progress, name="import_progress"),
    path("import/<int:import_number>/apply/", views.import_map, name="import_map"),
    path("import/<int:import_number>/discard/", views.import_discard, name="import_discard"),
]
