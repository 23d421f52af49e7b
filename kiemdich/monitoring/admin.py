"""Admin pages of monitoring: reads of people go through AuditedAdmin (logged), like the rest."""

from django.contrib import admin

from kiemdich.accounts.audit import AuditedAdmin

from .models import Alert, DailyReport, Facility, Monitoring, RegimePeriod, Transfer


@admin.register(Facility)
class FacilityAdmin(admin.ModelAdmin):
    list_display = ["name", "commune", "capacity"]
    search_fields = ["name"]
    raw_id_fields = ["commune"]


@admin.register(RegimePeriod)
class RegimePeriodAdmin(admin.ModelAdmin):
    list_display = ["province", "regime", "days"]
    raw_id_fields = ["province"]


class ReportInline(admin.TabularInline):
    model = DailyReport
    extra = 0
    fields = ["date", "reporter", "temperature", "symptoms", "outcome", "created_at"]
    readonly_fields = fields
    can_delete = False


@admin.register(Monitoring)
class MonitoringAdmin(AuditedAdmin):
    audit_person_field = "person_id"
    audit_unit_field = "commune_id"
    list_display = ["person", "regime", "commune", "state", "ends_at", "last_report_at"]
    list_filter = ["state", "regime", "close_reason"]
    raw_id_fields = ["person", "facility", "created_by"]
    # The dashboards' counts follow each change the services make (services._counting): here
    # monitorings are read, and what the counts depend on is not edited, added or deleted.
    readonly_fields = [
        "state",
        "commune",
        "regime",
        "last_report_on",
        "ends_at",
        "not_reporting_since",
        "symptomatic_since",
    ]
    inlines = [ReportInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Alert)
class AlertAdmin(AuditedAdmin):
    audit_unit_field = "monitoring.commune_id"
    list_display = ["monitoring", "kind", "raised_at", "resolved_at"]
    list_filter = ["kind"]
    raw_id_fields = ["monitoring", "report", "resolved_by"]


@admin.register(Transfer)
class TransferAdmin(AuditedAdmin):
    audit_unit_field = "to_commune_id"
    list_display = ["monitoring", "from_commune", "to_commune", "requested_at", "accepted_at"]
    raw_id_fields = ["monitoring", "from_commune", "to_commune", "requested_by", "accepted_by"]
