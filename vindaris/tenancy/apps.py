from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "vindaris.tenancy"
    label = "tenancy"
    verbose_name = "Organizations and members"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from vindaris.lib.middleware import mark_session_renewed

        user_logged_in.connect(mark_session_renewed, dispatch_uid="mark_session_renewed")
