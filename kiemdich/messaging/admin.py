from django.contrib import admin

from .models import Message, State


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "channel", "to", "state", "attempts", "sent_at"]
    list_filter = ["state", "channel"]
    search_fields = ["to", "key"]
    readonly_fields = ["key", "channel", "to", "body", "created_at", "sent_at", "error"]
    actions = ["retry"]

    @admin.action(description="Retry")
    def retry(self, request, queryset) -> None:
        queryset.filter(state=State.FAILED).update(state=State.QUEUED, attempts=0)
