from django.contrib import admin

from .models import CareAid, CareSubject, CareVisit, CareVisitInterval


class VisitInline(admin.TabularInline):
    model = CareVisit
    extra = 0
    fields = ["visited_at", "visited_by", "condition", "needs_found", "on_time", "recorded_at"]
    readonly_fields = ["on_time"]
    raw_id_fields = ["visited_by"]


class AidInline(admin.TabularInline):
    model = CareAid
    extra = 0
    fields = ["kind", "amount", "given_on", "outcome", "recorded_by", "recorded_at"]
    raw_id_fields = ["recorded_by"]


@admin.register(CareSubject)
class CareSubjectAdmin(admin.ModelAdmin):
    # Visits go through ``services.care_visit_record`` (the clock); the admin shows them.
    list_display = ["name", "kind", "community", "is_active", "created_at"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]
    raw_id_fields = ["community", "created_by"]
    inlines = [VisitInline, AidInline]


@admin.register(CareVisitInterval)
class CareVisitIntervalAdmin(admin.ModelAdmin):
    list_display = ["kind", "days"]


@admin.register(CareAid)
class CareAidAdmin(admin.ModelAdmin):
    list_display = ["subject", "kind", "amount", "given_on"]
    list_filter = ["kind"]
    raw_id_fields = ["subject", "recorded_by"]
