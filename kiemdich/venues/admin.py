from django.contrib import admin

from kiemdich.accounts.audit import AuditedAdmin

from .models import ProvincePolicy, SigningKey, UsualStay, Venue
from .services import forget_usual_stays


@admin.register(Venue)
class VenueAdmin(AuditedAdmin):
    audit_unit_field = "commune_id"
    list_display = ["name", "category", "commune", "status", "created_at", "activated_at"]
    list_filter = ["status", "category"]
    search_fields = ["name", "address", "contact_phone", "plate_number", "commune__name"]
    raw_id_fields = ["commune", "organization", "owner", "decided_by"]
    readonly_fields = ["created_at", "updated_at", "activated_at", "ended_at"]
    list_select_related = ["commune"]
    date_hierarchy = "created_at"


@admin.register(ProvincePolicy)
class ProvincePolicyAdmin(admin.ModelAdmin):
    list_display = ["province", "venue_approval_required"]
    raw_id_fields = ["province"]


@admin.register(SigningKey)
class SigningKeyAdmin(admin.ModelAdmin):
    list_display = ["kid", "created_at", "retired_at"]
    readonly_fields = ["kid", "public_key", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False  # keys are made with `kiemdich venues keys rotate`


@admin.register(UsualStay)
class UsualStayAdmin(admin.ModelAdmin):
    list_display = ["category", "minutes"]

    # This process uses the new stay at once; the other workers within STAY_TTL.
    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        forget_usual_stays()

    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        forget_usual_stays()
