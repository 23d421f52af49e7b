"""The admin of records only code writes: an audit trail, signing keys, export files. Listing
and reading them helps whoever runs the site; adding, editing or deleting one by hand would make
it say something that did not happen, so the admin offers none of it."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
