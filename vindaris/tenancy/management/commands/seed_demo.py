from django.core.management.base import BaseCommand

from vindaris import demo


class Command(BaseCommand):
    help = "Load the demo organizations, members and data (does nothing if already loaded)."

    def handle(self, *args: object, **options: object) -> None:
        if demo.seed():
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        else:
            self.stdout.write("Demo data already present; left as it is.")
