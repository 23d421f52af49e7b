from django.contrib import admin

from kiemdich.accounts.audit import AuditedAdmin

from .models import Campaign, Message, State


@admin.register(Message)
class MessageAdmin(AuditedAdmin):
    list_display = ["created_at", "channel", "to", "state", "attempts", "sent_at"]
    list_filter = ["state", "channel"]
    search_fields = ["to", "key"]
    readonly_fields = ["key", "channel", "to", "body", "created_at", "sent_at", "error"]
    actions = ["retry"]

    @admin.action(description="Retry")
    def retry(self, request, queryset) -> None:
        queryset.filter(state=State.FAILED).update(state=State.QUEUED, attempts=0)


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    """Read-only: campaigns are started from their page or the API, which check who may send
    to whom; the admin only looks (and its counters come from the task)."""

    list_display = ["created_at", "name", "kind", "channel", "status", "total", "queued"]
    list_filter = ["status", "kind", "channel"]
    search_fields = ["name"]
    raw_id_fields = ["unit", "organization", "created_by"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
