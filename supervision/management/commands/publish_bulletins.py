from django.core.management.base import BaseCommand

from shishi_mediation.commands import add_now_argument, parse_now
from supervision.bulletins import bulletins_publish_due


class Command(BaseCommand):
    help = (
        "Publish last month's bulletin (通报) of every city to its units, as the beat task "
        "does on the 1st of each month; a month already published is left as it is."
    )

    def add_arguments(self, parser):
        add_now_argument(parser, what="publish")

    def handle(self, *args, now=None, **options):
        issues = bulletins_publish_due(now=parse_now(now))
        for issue in issues:
            self.stdout.write(
                f"bulletin {issue} published: {issue.listed_units} units listed, "
                f"{issue.ranked_units} ranked"
            )
        if not issues:
            self.stdout.write("no bulletin to publish (already published)")
