"""Django's PostgreSQL backend, told that a tenant table's `id` is not its primary key alone.

Django groups an aggregate over model rows by their primary key only, relying on PostgreSQL to
infer the other columns from it. A tenant table's primary key is (organization_id, id) in the
database while the ORM's is `id` (vindaris.lib.tenant), so for tenant models the ORM groups by
every selected column instead.
"""

from typing import Any

from django.db.backends.postgresql import base, features


class DatabaseFeatures(features.DatabaseFeatures):
    def allows_group_by_selected_pks_on_model(self, model: Any) -> bool:
        from vindaris.lib.tenant import TenantModel

        if issubclass(model, TenantModel):
            return False
        return super().allows_group_by_selected_pks_on_model(model)


class DatabaseWrapper(base.DatabaseWrapper):
    """Also counts the transactions it committed (vindaris.lib.outage: was a write saved?)."""

    features_class = DatabaseFeatures
    commits = 0

    def commit(self) -> None:
        super().commit()
        self.commits += 1
