from django.contrib import admin

from .models import Unit, UnitStat


class UnitStatInline(admin.TabularInline):
    model = UnitStat
    extra = 0
    ordering = ["-date"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["code", "full_name", "kind", "level", "parent"]
    list_filter = ["level", "kind"]
    search_fields = ["code", "name", "full_name"]
    list_select_related = ["parent"]
    readonly_fields = ["path"]
    raw_id_fields = ["parent"]
    inlines = [UnitStatInline]


@admin.register(UnitStat)
class UnitStatAdmin(admin.ModelAdmin):
    list_display = ["unit", "date", "population", "smartphone_users"]
    list_filter = ["date"]
    search_fields = ["unit__code", "unit__name"]
    raw_id_fields = ["unit"]
    date_hierarchy = "date"
