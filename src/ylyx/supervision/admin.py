"""Django admin, read-only: supervision changes go through services (scope re-check and audit)."""

from django.apps import apps

if apps.is_installed("django.contrib.admin"):
    from django.contrib import admin

    from .models import (
        Complaint,
        CreditEvent,
        CreditListEntry,
        Incident,
        Inspection,
        InspectionPlan,
        InspectionTask,
    )

    class ReadOnlyAdmin(admin.ModelAdmin):
        def has_add_permission(self, request, obj=None):
            return False

        def has_change_permission(self, request, obj=None):
            return False

        def has_delete_permission(self, request, obj=None):
            return False

    for model in (InspectionPlan, InspectionTask, Inspection, CreditEvent, CreditListEntry, Complaint, Incident):
        admin.site.register(model, ReadOnlyAdmin)
