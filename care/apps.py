from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "care"
    verbose_name = _("关爱对象")

    def ready(self) -> None:
        # Declares the ``care_visit`` deadline kind (deadlines.kinds.KINDS).
        from . import clock  # noqa: F401
