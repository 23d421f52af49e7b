"""Admin pages of the export publishing, read-only: files, runs and signing keys are written
by the export run and `kiemdich proximity rotate-key` alone (a hand-edited row would no longer
describe the file on disk, or the key phones hold). A key's salt is not shown: with the master
secret it is the private key."""

from django.contrib import admin

from .models import ExportFile, ExportRun, SigningKey


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


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
