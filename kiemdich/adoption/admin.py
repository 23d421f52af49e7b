"""Admin pages: targets are set here; imported figures, installs and reports can be checked and
corrected (the daily sums of registered installs are the service's, shown read-only)."""

from django.contrib import admin

from .models import DailyReport, Install, InstallDay, InstallFigure, MissedDeadline, Target


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ["name", "unit", "group", "org_kind", "threshold", "deadline"]
    list_filter = ["group", "org_kind", "deadline"]
    search_fields = ["name"]
    raw_id_fields = ["unit"]


@admin.register(InstallFigure)
class InstallFigureAdmin(admin.ModelAdmin):
    list_display = ["unit", "date", "installs", "imported_at"]
    list_filter = ["date"]
    search_fields = ["unit__code", "unit__name"]
    raw_id_fields = ["unit"]
    date_hierarchy = "date"


@admin.register(Install)
class InstallAdmin(admin.ModelAdmin):
    list_display = ["app", "install_id", "platform", "commune", "registered_at", "removed_at"]
    list_filter = ["app", "platform"]
    search_fields = ["install_id"]
    raw_id_fields = ["commune", "organization"]
    readonly_fields = ["registered_at", "removed_at"]  # the daily sums follow the service only
    show_full_result_count = False  # millions of rows: no COUNT(*) per page


@admin.register(InstallDay)
class InstallDayAdmin(admin.ModelAdmin):
    list_display = ["unit", "date", "added", "removed"]
    raw_id_fields = ["unit"]
    readonly_fields = ["unit", "date", "added", "removed"]
    date_hierarchy = "date"
    show_full_result_count = False


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
