"""Recompute the repeat-dispute radar's keyed hashes under the current RADAR_KEY.

Run it after changing RADAR_KEY (or SECRET_KEY when RADAR_KEY is not set): until then
the radar matches nothing old, since old rows carry keys made with the previous key.
Rows already right are not written, so it may be run again at any time."""

from django.core.management.base import BaseCommand

from disputes.models import Incident, Order, Party
from disputes.radar_keys import rebuild_keys


class Command(BaseCommand):
    help = "Rebuild the repeat radar's keyed hashes (after a RADAR_KEY change)."

    def handle(self, *args, **options):
        changed = rebuild_keys(
            {"disputes.party": Party, "disputes.order": Order, "disputes.incident": Incident},
            log=self.stdout.write,
        )
        self.stdout.write(f"done: {sum(changed.values())} rows re-keyed")
