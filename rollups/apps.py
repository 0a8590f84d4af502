from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RollupsConfig(AppConfig):
    """Only the migrations that built the roll-up tables are left here: the models moved
    to ``supervision`` with their tables (state-only migrations)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "rollups"
    verbose_name = _("报表月度汇总")
