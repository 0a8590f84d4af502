from django.contrib import admin

from .models import Deadline


@admin.register(Deadline)
class DeadlineAdmin(admin.ModelAdmin):
    list_display = (
        "kind",
        "subject_id",
        "unit",
        "started_at",
        "due_at",
        "met_at",
        "on_time",
        "level",
    )
    list_filter = ("kind", "on_time", "level")
    search_fields = ("=subject_id",)
    date_hierarchy = "due_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
