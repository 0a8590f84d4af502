from django.contrib import admin

from .models import JointActivity, VolunteerProfile


@admin.register(VolunteerProfile)
class VolunteerProfileAdmin(admin.ModelAdmin):
    list_display = ("membership", "availability", "is_active")
    list_filter = ("is_active", "membership__unit")
    search_fields = ("membership__user__username", "membership__user__last_name")
    raw_id_fields = ("membership",)


@admin.register(JointActivity)
class JointActivityAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "title", "organiser", "people_served")
    list_filter = ("kind", "date")
    search_fields = ("title", "place")
    filter_horizontal = ("units", "members")
    raw_id_fields = ("organiser", "created_by")
