from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from kiemdich.core.readonly import ReadOnlyAdmin

from . import tokens
from .models import ApiToken, AuditLog, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "get_full_name", "role", "unit", "organization", "is_active"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["username", "first_name", "last_name", "email", "phone"]
    raw_id_fields = ["unit", "organization"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Role and area"), {"fields": ("role", "unit", "organization", "phone")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("Role and area"), {"fields": ("role", "unit", "organization", "phone")}),
    )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["prefix", "user__username", "name"]
    readonly_fields = ["user", "prefix", "created_at", "last_used_at", "revoked_at"]
    fields = ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke_tokens"]

    def has_add_permission(self, request) -> bool:
        return False  # tokens are created with `kiemdich token create`, which shows them once

    @admin.action(description=_("Revoke selected tokens"))
    def revoke_tokens(self, request, queryset):
        for token in queryset:
            tokens.revoke(token)


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "subject", "unit_code", "reason", "ip"]
    list_filter = ["action"]
    search_fields = ["actor__username", "subject", "unit_code"]
    date_hierarchy = "at"
