"""How the schema distributes by organization (on Citus, or any engine sharding by one column).

Every table of a model with an `organization` foreign key is a **tenant table**: distributed by
`organization_id`, all co-located, its primary key, unique keys and foreign keys to other tenant
tables leading with `organization_id`, and every statement pins it to one organization.

**Reference tables** are copied whole to every node and joined with anything: tables without an
organization (users, organizations, sessions, auth, permissions, login throttling) and the few
tenant-shaped tables listed in REFERENCE_MODELS, read across organizations by nature.
"""

from django.apps import apps
from django.db import models

DISTRIBUTION_COLUMN = "organization_id"

# Tenant-shaped, yet reference tables: which organizations a person belongs to is read by user
# on every page (the organization switcher, log-in, invitations), across organizations; the
# rows are few (one per person per organization) and change rarely.
REFERENCE_MODELS = frozenset({"tenancy.Membership"})


def _has_organization(model: type[models.Model]) -> bool:
    try:
        field = model._meta.get_field("organization")
    except Exception:  # FieldDoesNotExist
        return False
    meta = getattr(field.related_model, "_meta", None)
    return getattr(meta, "label", None) == "tenancy.Organization"


def tenant_models() -> list[type[models.Model]]:
    """Concrete, managed models distributed by organization, in app order."""
    return [
        m
        for m in apps.get_models()
        if m._meta.managed
        and not m._meta.proxy
        and _has_organization(m)
        and m._meta.label not in REFERENCE_MODELS
    ]


def tenant_tables() -> frozenset[str]:
    return frozenset(m._meta.db_table for m in tenant_models())


def reference_models() -> list[type[models.Model]]:
    """Every other concrete, managed model: a reference table on a distributed cluster."""
    tenant = set(tenant_models())
    return [
        m for m in apps.get_models() if m._meta.managed and not m._meta.proxy and m not in tenant
    ]
