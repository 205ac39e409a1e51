from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "vindaris.tenancy"
    label = "tenancy"
    verbose_name = "Organizations and members"
