from django.contrib import admin

from .models import Hazard, HazardCategory, HazardEvent, HazardPhoto, HazardRoute, ScreeningVisit


class HazardRouteInline(admin.TabularInline):
    model = HazardRoute
    extra = 0
    autocomplete_fields = ["department"]


@admin.register(HazardCategory)
class HazardCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "department", "fix_days", "position", "is_active"]
    list_editable = ["fix_days", "position", "is_active"]
    autocomplete_fields = ["department"]
    inlines = [HazardRouteInline]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PhotoInline(ReadOnlyInline):
    model = HazardPhoto
    fields = ["stage", "original_name", "size", "uploaded_by", "uploaded_at"]
    readonly_fields = fields


class EventInline(ReadOnlyInline):
    model = HazardEvent
    fields = ["at", "kind", "actor", "from_state", "to_state", "note"]
    readonly_fields = fields


@admin.register(Hazard)
class HazardAdmin(admin.ModelAdmin):
    """Read-only: a hazard moves only through its services (the pages and the API)."""

    list_display = ["id", "category", "community", "address", "state", "department", "due_at"]
    list_filter = ["state", "category"]
    search_fields = ["address", "description"]
    inlines = [PhotoInline, EventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ScreeningVisit)
class ScreeningVisitAdmin(admin.ModelAdmin):
    list_display = ["visited_at", "officer", "unit", "community", "place", "outcome"]
    list_filter = ["outcome"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
