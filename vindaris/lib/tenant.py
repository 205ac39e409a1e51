"""Tenant-aware models and foreign keys: every statement the ORM writes for them names the
organization, so it goes to one shard of a database distributed by `organization_id`.

In the database, a tenant table's primary key is (organization_id, id) and a foreign key to
another tenant table is (organization_id, x_id) -> target (organization_id, id) (migrations,
vindaris.lib.sql). Django keeps `id` as the model's primary key: ids come from one sequence, so
`id` alone still names one row, and forms, admin, guardian and `pk` lookups work unchanged
(Django 5.2's CompositePrimaryKey cannot be the target of a ForeignKey, which every relation
here would need). What the ORM must add is the organization:

- `TenantForeignKey` joins on the organization too (`get_extra_restriction`), and the forward
  descriptor (`task.goal` not yet loaded) fetches by organization and id. Its own database
  constraint is off: the composite key in the migrations is the constraint, and the database
  carries out ON DELETE (CASCADE, or SET NULL of the id column alone), so Django never deletes
  or updates related rows by id.
- `TenantModel` saves, reloads and deletes one row by (organization_id, id).

Reverse managers (`goal.tasks`) and `prefetch_related` filter by the related id alone: read
through selectors that filter by organization instead (the statement checker in the test
suite finds any that slip through).
"""

from typing import Any

from django.db import models
from django.db.models.lookups import Exact
from django.db.models.sql.where import AND, WhereNode

ORGANIZATION = "organization"


class TenantForeignKey(models.ForeignKey):
    """A foreign key between two tenant tables, joined on (organization_id, id)."""

    def __init__(self, to: Any, on_delete: Any = models.DO_NOTHING, **kwargs: Any) -> None:
        kwargs.setdefault("db_constraint", False)
        super().__init__(to, on_delete, **kwargs)

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "vindaris.lib.tenant.TenantForeignKey", args, kwargs

    def get_extra_restriction(self, alias: str | None, related_alias: str | None) -> Any:
        # `alias` is the target's table, `related_alias` this model's. Django passes None for
        # one side when it pushes a join down into a subquery: that subquery filters by
        # organization itself.
        if alias is None or related_alias is None:
            return None
        target: Any = self.remote_field.model._meta.get_field(ORGANIZATION)
        source: Any = self.model._meta.get_field(ORGANIZATION)
        condition: Any = Exact(target.get_col(alias), source.get_col(related_alias))
        return WhereNode([condition], connector=AND)

    def get_extra_descriptor_filter(self, instance: Any) -> dict[str, Any]:
        return {"organization_id": instance.organization_id}


class TenantModel(models.Model):
    """A row of a table distributed by organization: saved, reloaded and deleted by
    (organization_id, id)."""

    # Every concrete tenant model has an `organization` foreign key (vindaris.lib.distribution).
    organization_id: int

    class Meta:
        abstract = True

    def _tenant_rows(self, using: str | None = None) -> models.QuerySet[Any]:
        manager = type(self)._base_manager
        if using:
            manager = manager.db_manager(using)
        # (by keyword name: the abstract model itself has no such field to check it against)
        return manager.filter(**{"organization_id": self.organization_id})

    def _do_update(
        self,
        base_qs: models.QuerySet[Any],
        using: str | None,
        pk_val: Any,
        values: Any,
        update_fields: Any,
        forced_update: bool,
    ) -> bool:
        base_qs = base_qs.filter(organization_id=self.organization_id)
        return super()._do_update(base_qs, using, pk_val, values, update_fields, forced_update)

    def refresh_from_db(
        self,
        using: str | None = None,
        fields: Any = None,
        from_queryset: models.QuerySet[Any] | None = None,
    ) -> None:
        if from_queryset is None:
            from_queryset = self._tenant_rows(using)
        else:
            from_queryset = from_queryset.filter(organization_id=self.organization_id)
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)

    def delete(
        self, using: str | None = None, keep_parents: bool = False
    ) -> tuple[int, dict[str, int]]:
        """Delete the row by (organization_id, id); the database removes or detaches what
        points at it (the composite keys' ON DELETE)."""
        if self.pk is None:
            raise ValueError(f"{self._meta.object_name} has no primary key to delete")
        return self._tenant_rows(using).filter(pk=self.pk).delete()

    delete.alters_data = True  # type: ignore[attr-defined]  # Django's marker on a method
