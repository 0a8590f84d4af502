from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisputesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "disputes"
    verbose_name = _("纠纷订单")

    def ready(self) -> None:
        # Connects the signals that clear the per-process copy of units, areas and
        # categories, in every process (a save from a Celery task or a command too).
        from . import (
            reference,  # noqa: F401
            results,  # noqa: F401 - registers the result endpoint's system check
        )
