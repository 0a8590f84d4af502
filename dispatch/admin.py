from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Area, Category, Membership, RoutingRule, SlaPolicy, SubsidyTier, Unit


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "level", "parent", "path"]
    list_filter = ["level"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name", "name_en"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "area", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]
    autocomplete_fields = ["area"]
    filter_horizontal = ["covered_areas", "categories"]
    inlines = [MembershipInline]


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["category", "area", "unit", "rank"]
    list_filter = ["category"]
    search_fields = ["area__name", "unit__name"]
    autocomplete_fields = ["area", "unit"]
    list_select_related = ["category", "area", "unit"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "unit", "role"]
    list_filter = ["role", "unit__kind"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "unit__name"]
    autocomplete_fields = ["user", "unit"]
    list_select_related = ["user", "unit"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "sign_minutes", "contact_minutes", "meet_minutes"]
    list_filter = ["risk_level"]
    list_select_related = ["category"]


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
