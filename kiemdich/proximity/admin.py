"""Read-only admin of the proximity app. Export files, runs and signing keys are written by the
export run and `kiemdich proximity rotate-key` alone (a hand-edited row would no longer describe
the file on disk, or the key phones hold); verification codes are issued by tracers through
`verification.issue_code` and used by phones. No secret is shown: not a signing key's salt (with
the master secret it is the private key), not the codes' HMACs, not the token id, not the keys."""

from django.contrib import admin

from kiemdich.core.readonly import ReadOnlyAdmin

from .models import ConsentedKey, ExportFile, ExportRun, SigningKey, VerificationCode


@admin.register(SigningKey)
class SigningKeyAdmin(ReadOnlyAdmin):
    list_display = ["key_id", "version", "created_at", "active_from", "retired_at"]
    exclude = ["salt"]


@admin.register(ExportFile)
class ExportFileAdmin(ReadOnlyAdmin):
    list_display = [
        "name",
        "region",
        "start",
        "real_keys",
        "total_keys",
        "signing_key",
        "withdrawn_at",
    ]
    list_filter = ["region", "signing_key"]
    date_hierarchy = "start"


@admin.register(ExportRun)
class ExportRunAdmin(ReadOnlyAdmin):
    list_display = [
        "started_at",
        "finished_at",
        "files_written",
        "files_withdrawn",
        "keys_deleted",
        "error",
    ]


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
