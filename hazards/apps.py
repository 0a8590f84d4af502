from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HazardsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "hazards"
    verbose_name = _("隐患排查")

    def ready(self) -> None:
        # Declares the rectification clock (``deadlines`` kind ``hazard_fix``).
        from . import clock  # noqa: F401
