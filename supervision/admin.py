from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import BulletinIssue, BulletinStanding, SubsidyTier


@admin.register(SubsidyTier)
class SubsidyTierAdmin(admin.ModelAdmin):
    """Rates are effective-dated: a tier already in force is read-only (and cannot be
    deleted), so a new rate is a new row with a new date and past statements stay as
    they were paid."""

    list_display = ["grade", "amount", "effective_from", "in_force"]
    list_filter = ["grade"]
    ordering = ["grade", "-effective_from"]
    date_hierarchy = "effective_from"

    @admin.display(boolean=True, description=_("已生效"))
    def in_force(self, obj: SubsidyTier) -> bool:
        return obj.effective_from <= timezone.localdate()

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and self.in_force(obj):
            return ["grade", "amount", "effective_from"]
        return []

    def has_delete_permission(self, request, obj=None):
        if obj is not None and self.in_force(obj):
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        # Bulk delete would bypass the per-row check above.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


class BulletinStandingInline(admin.TabularInline):
    model = BulletinStanding
    fields = ["unit", "rank", "cases", "score", "fair_score"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(BulletinIssue)
class BulletinIssueAdmin(admin.ModelAdmin):
    """Published bulletins, read-only: what the units were told stays as it was told.
    Publish from the bulletin page (发布通报) or ``manage.py publish_bulletins``."""

    list_display = ["month", "area", "published_at", "published_by", "ranked_units"]
    list_filter = ["area"]
    inlines = [BulletinStandingInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
