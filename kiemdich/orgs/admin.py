from django.contrib import admin

from .models import Headcount, Organization


class HeadcountInline(admin.TabularInline):
    model = Headcount
    extra = 0
    fields = ["group", "headcount", "installed", "updated_at", "updated_by"]
    readonly_fields = ["updated_at", "updated_by"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "unit"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]
    raw_id_fields = ["unit"]
    inlines = [HeadcountInline]
