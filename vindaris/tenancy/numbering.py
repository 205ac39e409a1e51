from django.db import connection

from .models import Organization, Sequence


def next_number(organization: Organization, name: str, count: int = 1) -> int:
    """Reserve `count` consecutive numbers of a per-organization sequence; return the first.

    One upsert: concurrent callers serialize on the counter row, so numbers never repeat.
    """
    table = Sequence._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (organization_id, name, value) VALUES (%s, %s, %s)
            ON CONFLICT (organization_id, name) DO UPDATE SET value = {table}.value + EXCLUDED.value
            RETURNING value
            """,  # noqa: S608 - table name from the model
            [organization.pk, name, count],
        )
        last = cursor.fetchone()[0]
    return last - count + 1
