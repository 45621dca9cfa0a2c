from django.urls import path

from . import views

app_name = "indicators"
urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("provenance/", views.ProvenanceView.as_view(), name="provenance"),
    path("plans/", views.PlanListView.as_view(), name="plan_list"),
    path("plans/<int:pk>/", views.PlanDetailView.as_view(), name="plan_detail"),
    path("plans/<int:pk>/copy/", views.PlanCopyView.as_view(), name="plan_copy"),
    path("plans/<int:pk>/indicators/<int:ipk>/target/", views.TargetEditView.as_view(), name="target_edit"),
    path("plans/<int:pk>/indicators/<int:ipk>/milestones/", views.MilestoneEditView.as_view(),
         name="milestone_edit"),
    path("reports/new/", views.ReportCreateView.as_view(), name="report_create"),
    path("reports/<int:pk>/", views.ReportJobView.as_view(), name="report_job"),
    path("reports/<int:pk>/progress/", views.ReportJobProgressView.as_view(), name="report_job_progress"),
    path("reports/<int:pk>/download/<slug:kind>/", views.ReportDownloadView.as_view(), name="report_download"),
    path("reported/", views.ReportedListView.as_view(), name="reported_list"),
    path("reported/new/", views.ReportedEntryView.as_view(), name="reported_entry"),
    path("reported/import/", views.ReportedImportView.as_view(), name="reported_import"),
    path("reported/<int:pk>/", views.ReportedDetailView.as_view(), name="reported_detail"),
    path("reported/<int:pk>/<slug:action>/", views.ReportedActionView.as_view(), name="reported_action"),
]
