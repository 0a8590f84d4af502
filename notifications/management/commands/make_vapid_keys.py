"""Make a VAPID key pair for Web Push and print it as environment lines."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from notifications.webpush import generate_vapid_keys


class Command(BaseCommand):
    help = (
        "Generate a VAPID key pair (P-256) for Web Push and print the environment lines "
        "WEBPUSH_VAPID_PRIVATE_KEY / WEBPUSH_VAPID_PUBLIC_KEY / WEBPUSH_VAPID_SUBJECT. "
        "Keep the private key secret; changing the pair invalidates every device's "
        "subscription (people opt in again)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--subject",
            default="mailto:admin@example.com",
            help="The contact push services may write to: mailto:… or https://…",
        )
        parser.add_argument(
            "--env-file",
            help="Also write the lines to this file (mode 600), unless it already exists; "
            "`make run` keeps the demo's pair in var/webpush-vapid.env this way.",
        )

    def handle(self, *args, subject: str, env_file: str | None, **options):
        if not subject.startswith(("mailto:", "https://")):
            raise CommandError("--subject must be a mailto: or https:// URL")
        if env_file and Path(env_file).exists():
            self.stdout.write(f"{env_file} exists; keeping its keys.")
            return
        private, public = generate_vapid_keys()
        lines = (
            f"WEBPUSH_VAPID_PRIVATE_KEY={private}\n"
            f"WEBPUSH_VAPID_PUBLIC_KEY={public}\n"
            f"WEBPUSH_VAPID_SUBJECT={subject}\n"
        )
        if env_file:
            path = Path(env_file)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(lines)
            self.stdout.write(f"wrote {env_file}")
            return
        self.stdout.write(lines, ending="")
