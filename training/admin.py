from django.contrib import admin

from .models import Attendance, TrainingSession, UnitHeadcount


class AttendanceInline(admin.TabularInline):
    model = Attendance
    extra = 0
    autocomplete_fields = ["user"]
    raw_id_fields = ["unit"]


class HeadcountInline(admin.TabularInline):
    model = UnitHeadcount
    extra = 0
    raw_id_fields = ["unit"]


@admin.register(TrainingSession)
class TrainingSessionAdmin(admin.ModelAdmin):
    list_display = ["date", "topic", "kind", "hours", "organizer", "area", "trainer_name"]
    list_filter = ["kind", "date"]
    search_fields = ["topic", "trainer_name", "organizer__name"]
    date_hierarchy = "date"
    raw_id_fields = ["organizer", "area", "created_by"]
    inlines = [AttendanceInline, HeadcountInline]
