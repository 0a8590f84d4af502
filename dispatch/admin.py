from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from shishi_mediation.validators import mask_phone

from .models import Area, Category, Membership, Profile, RoutingRule, Unit


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
    list_display = ["name", "kind", "alliance_kind", "area", "is_active"]
    list_filter = ["kind", "alliance_kind", "is_active"]
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


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "masked_phone"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    autocomplete_fields = ["user"]
    list_select_related = ["user"]

    @admin.display(description=_("手机号"))
    def masked_phone(self, profile: Profile) -> str:
        return mask_phone(profile.phone)
