from django.contrib import admin

from .models import IndicatorDefinition, Milestone, Plan, PlanIndicator, ReportedValue


class PlanIndicatorInline(admin.TabularInline):
    model = PlanIndicator
    extra = 0
    fields = ("position", "category", "seq", "name", "baseline_text", "target_text", "target_value", "comparator",
              "target_year", "property", "definition")
    readonly_fields = ("position", "category", "seq", "name", "baseline_text", "target_text", "target_value",
                       "comparator", "target_year", "property", "definition")


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "region_name", "region_code", "is_seed"]
    search_fields = ["code", "title", "region_name"]
    inlines = [PlanIndicatorInline]


@admin.register(IndicatorDefinition)
class IndicatorDefinitionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "unit", "kind", "numerator", "denominator", "factor"]


@admin.register(Milestone)
class MilestoneAdmin(admin.ModelAdmin):
    list_display = ["indicator", "year", "value", "edited"]


@admin.register(ReportedValue)
class ReportedValueAdmin(admin.ModelAdmin):
    list_display = ["indicator_name", "region", "year", "value", "department", "status"]
    list_filter = ["status", "year"]
    readonly_fields = ["entered_by", "approved_by", "published_by", "returned_by"]
