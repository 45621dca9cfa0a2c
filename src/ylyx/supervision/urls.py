from django.urls import path

from . import views

app_name = "supervision"
urlpatterns = [
    path("", views.home, name="home"),
    path("clock/", views.clock, name="clock"),
    path("plans/", views.PlanListView.as_view(), name="plan_list"),
    path("plans/new/", views.PlanCreateView.as_view(), name="plan_create"),
    path("plans/<int:pk>/", views.PlanDetailView.as_view(), name="plan_detail"),
    path("tasks/<int:pk>/", views.TaskDetailView.as_view(), name="task_detail"),
    path("inspectors/", views.InspectorListView.as_view(), name="inspector_list"),
    path("inspectors/new/", views.InspectorCreateView.as_view(), name="inspector_create"),
    path("inspectors/<int:pk>/", views.InspectorDetailView.as_view(), name="inspector_detail"),
    path("inspections/", views.InspectionListView.as_view(), name="inspection_list"),
    path("inspections/<int:pk>/", views.InspectionDetailView.as_view(), name="inspection_detail"),
    path("inspections/<int:pk>/record/", views.InspectionRecordView.as_view(), name="inspection_record"),
    path("photos/<int:pk>/", views.attachment, name="attachment"),
    path("rectifications/", views.RectificationListView.as_view(), name="rectification_list"),
    path("rectifications/<int:pk>/", views.RectificationDetailView.as_view(), name="rectification_detail"),
    path("credit/", views.CreditListView.as_view(), name="credit_list"),
    path("credit/institutions/<int:pk>/", views.CreditFileView.as_view(), name="credit_institution"),
    path("credit/practitioners/<int:pk>/", views.PractitionerCreditView.as_view(), name="credit_practitioner"),
    path("complaints/", views.ComplaintListView.as_view(), name="complaint_list"),
    path("complaints/new/", views.ComplaintCreateView.as_view(), name="complaint_create"),
    path("complaints/<int:pk>/", views.ComplaintDetailView.as_view(), name="complaint_detail"),
    path("incidents/", views.IncidentListView.as_view(), name="incident_list"),
    path("incidents/new/", views.IncidentCreateView.as_view(), name="incident_create"),
    path("incidents/<int:pk>/", views.IncidentDetailView.as_view(), name="incident_detail"),
]
