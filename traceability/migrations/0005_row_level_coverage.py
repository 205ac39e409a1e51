from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("traceability", "0004_snapshot_public_figures")]
    operations: list = []
