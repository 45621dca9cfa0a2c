"""Django admin, read-only: registry changes go through services (scope re-check and audit).

The admin site is not installed in every deployment, so registration is conditional.
"""

from django.apps import apps

if apps.is_installed("django.contrib.admin"):
    from django.contrib import admin

    from .models import CapacityRecord, ChildcareClass, Filing, FilingEvent, Institution, ServicePoint

    class ReadOnlyAdmin(admin.ModelAdmin):
        def has_add_permission(self, request, obj=None):
            return False

        def has_change_permission(self, request, obj=None):
            return False

        def has_delete_permission(self, request, obj=None):
            return False

    class CapacityInline(admin.TabularInline):
        model = CapacityRecord
        extra = 0
        fields = ["valid_from", "valid_to", "region", "status", "beds", "nursing_beds", "places",
                  "affordable_places"]

    class ClassInline(admin.TabularInline):
        model = ChildcareClass
        extra = 0

    class ServicePointInline(admin.TabularInline):
        model = ServicePoint
        extra = 0

    @admin.register(Institution)
    class InstitutionAdmin(ReadOnlyAdmin):
        list_display = ["name", "kind", "subtype", "region", "beds", "nursing_beds", "places", "status"]
        list_filter = ["kind", "subtype", "status", "operation_mode"]
        search_fields = ["name", "uscc", "address"]
        inlines = [CapacityInline, ClassInline, ServicePointInline]

    class FilingEventInline(admin.TabularInline):
        model = FilingEvent
        extra = 0

    @admin.register(Filing)
    class FilingAdmin(ReadOnlyAdmin):
        list_display = ["institution", "status", "number", "submitted_on", "filed_on", "cancelled_on"]
        list_filter = ["status"]
        inlines = [FilingEventInline]
