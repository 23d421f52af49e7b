from django.contrib import admin

from kiemdich.accounts.audit import AuditedAdmin

from .models import Checkin, ScanDaily


@admin.register(Checkin)
class CheckinAdmin(AuditedAdmin):
    audit_person_field = "person_id"
    audit_unit_field = "venue.commune_id"
    list_display = ["t_in", "t_out", "venue", "method", "source_app"]
    list_filter = ["method", "source_app"]
    search_fields = ["venue__name", "client_id"]
    raw_id_fields = ["venue", "person"]  # a select would list every person on record
    date_hierarchy = "t_in"
    list_select_related = ["venue"]

    def has_add_permission(self, request) -> bool:
        return False  # scans come from scanners, through the service that keeps the daily counts

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        # A stored visit keeps its venue and person: moving it would skip the lock that
        # deletes of venues and people wait for (check-ins have no foreign-key constraints).
        return ["venue", "person"] if obj is not None else []


@admin.register(ScanDaily)
class ScanDailyAdmin(admin.ModelAdmin):
    list_display = ["date", "commune", "scans"]
    search_fields = ["commune__code", "commune__name"]
    raw_id_fields = ["commune"]
    date_hierarchy = "date"

    def has_add_permission(self, request) -> bool:
        return False  # counts are written only together with the check-ins they count

    def has_change_permission(self, request, obj=None) -> bool:
        return False
