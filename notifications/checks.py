"""System checks of the Web Push settings: production without keys runs with the
channel off, but says so; a key pair that does not match is an error."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security)
def webpush_keys(app_configs, **kwargs):
    from .webpush import _vapid, public_key_of, webpush_enabled

    private = settings.WEBPUSH_VAPID_PRIVATE_KEY
    public = settings.WEBPUSH_VAPID_PUBLIC_KEY
    if not private and not public:
        if getattr(settings, "PRODUCTION", False):
            return [
                checks.Warning(
                    "Web Push is off: WEBPUSH_VAPID_PRIVATE_KEY / WEBPUSH_VAPID_PUBLIC_KEY "
                    "are not set.",
                    hint="Run `manage.py make_vapid_keys` and set the printed lines.",
                    id="notifications.W001",
                )
            ]
        return []
    if not webpush_enabled():
        return [
            checks.Error(
                "Only one of WEBPUSH_VAPID_PRIVATE_KEY / WEBPUSH_VAPID_PUBLIC_KEY is set.",
                id="notifications.E001",
            )
        ]
    try:
        _vapid(private)
        matches = public_key_of(private) == public.rstrip("=")
    except Exception:  # noqa: BLE001 - any parse failure is a bad key
        matches = False
    if not matches:
        return [
            checks.Error(
                "WEBPUSH_VAPID_PUBLIC_KEY is not the public key of WEBPUSH_VAPID_PRIVATE_KEY "
                "(or the private key is not a base64url P-256 key).",
                id="notifications.E002",
            )
        ]
    if not settings.WEBPUSH_VAPID_SUBJECT.startswith(("mailto:", "https://")):
        return [
            checks.Error(
                "WEBPUSH_VAPID_SUBJECT must be mailto:… or https://…", id="notifications.E003"
            )
        ]
    return []
