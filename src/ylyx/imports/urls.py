from django.urls import path

from . import views

app_name = "imports"
urlpatterns = [
    path("", views.index, name="index"),
    path("batches/", views.BatchListView.as_view(), name="list"),
    path("batches/<int:pk>/", views.BatchDetailView.as_view(), name="batch"),
    path("batches/<int:pk>/progress/", views.progress, name="progress"),
    path("batches/<int:pk>/commit/", views.commit, name="commit"),
    path("batches/<int:pk>/errors.xlsx", views.errors, name="errors"),
    path("templates/<str:resource>.xlsx", views.template, name="template"),
    path("exports/", views.export_list, name="exports"),
    path("exports/new/", views.export_new, name="export_new"),
    path("exports/approvals/", views.export_approvals, name="export_approvals"),
    path("exports/<int:pk>/", views.export_job, name="export_job"),
    path("exports/<int:pk>/progress/", views.export_progress, name="export_progress"),
    path("exports/<int:pk>/approve/", views.export_approve, name="export_approve"),
    path("exports/<int:pk>/reject/", views.export_reject, name="export_reject"),
    path("exports/<int:pk>/download/", views.export_download, name="export_download"),
]
