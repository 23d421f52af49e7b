"""Admin pages of the hotline. Tickets are read here (audited, inside the reader's area), not
edited: the clock and the history are written only by services.py. Agencies, supervisors,
routing rules and category limits are set up here."""

from django.contrib import admin

from kiemdich.accounts.audit import AuditedAdmin

from .models import Agency, CategoryTarget, Escalation, RoutingRule, Supervisor, Ticket, TicketEvent


class TicketEventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "kind", "agency", "actor", "note"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Ticket)
class TicketAdmin(AuditedAdmin):
    list_display = ["number", "received_at", "category", "commune", "agency", "status", "outcome"]
    list_filter = ["status", "outcome", "category", "channel", "reopened"]
    search_fields = ["number"]
    audit_unit_field = "commune_id"
    inlines = [TicketEventInline]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Ticket._meta.concrete_fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "unit", "head"]
    list_filter = ["kind"]
    search_fields = ["name", "unit__code", "unit__name"]
    raw_id_fields = ["unit", "head"]
    filter_horizontal = ["members"]


@admin.register(Supervisor)
class SupervisorAdmin(admin.ModelAdmin):
    list_display = ["user"]
    raw_id_fields = ["user"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["category", "unit", "agency"]
    list_filter = ["category"]
    raw_id_fields = ["unit", "agency"]


@admin.register(CategoryTarget)
class CategoryTargetAdmin(admin.ModelAdmin):
    list_display = ["category", "resolution_minutes"]


@admin.register(Escalation)
class EscalationAdmin(admin.ModelAdmin):
    list_display = ["ticket", "step", "at"]
    raw_id_fields = ["ticket"]
