"""Admin pages of the daily reports: checked and corrected by administrators; the pages and the
API are where officers send them."""

from django.contrib import admin

from .models import DailyReport, MissedDeadline


@admin.register(DailyReport)
class DailyReportAdmin(admin.ModelAdmin):
    list_display = [
        "unit",
        "date",
        "status",
        "installs",
        "late",
        "implausible",
        "submitted_at",
        "submitted_by",
    ]
    list_filter = ["status", "late", "implausible", "date"]
    search_fields = ["unit__code", "unit__name"]
    raw_id_fields = ["unit", "submitted_by"]
    date_hierarchy = "date"


@admin.register(MissedDeadline)
class MissedDeadlineAdmin(admin.ModelAdmin):
    list_display = ["unit", "date", "flagged_at", "reminded"]
    list_filter = ["date"]
    raw_id_fields = ["unit"]
