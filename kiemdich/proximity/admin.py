"""Read-only admin of verification codes and consented key links: what was issued, by whom,
for which case, what the phone did with it. No secret is shown: not the codes' HMACs, not
the token id, not the keys."""

from django.contrib import admin

from .models import ConsentedKey, VerificationCode


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False  # issued by tracers through verification.issue_code, uploaded by phones

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(VerificationCode)
class VerificationCodeAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "unit", "case", "issued_by", "claimed_at", "uploaded_at"]
    list_filter = ["test_type"]
    date_hierarchy = "created_at"
    list_select_related = ["unit", "issued_by"]
    fields = [
        "unit",
        "case",
        "issued_by",
        "test_type",
        "symptom_onset",
        "created_at",
        "expires_at",
        "long_expires_at",
        "claimed_at",
        "token_used_at",
        "uploaded_at",
    ]


@admin.register(ConsentedKey)
class ConsentedKeyAdmin(ReadOnlyAdmin):
    list_display = ["case", "rolling_start", "rolling_period", "received_at"]
    fields = ["case", "rolling_start", "rolling_period", "received_at"]
    date_hierarchy = "received_at"
