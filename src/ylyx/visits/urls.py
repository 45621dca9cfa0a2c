from django.urls import path

from . import views

app_name = "visits"
urlpatterns = [
    path("", views.task_list, name="task_list"),
    path("generate/", views.generate, name="generate"),
    path("tasks/<int:pk>/", views.task_detail, name="task_detail"),
    path("rules/", views.rule_list, name="rule_list"),
    path("rules/new/", views.rule_edit, name="rule_create"),
    path("rules/<int:pk>/", views.rule_edit, name="rule_edit"),
    path("followups/", views.followup_list, name="followup_list"),
    path("m/", views.mobile, name="mobile"),
    path("m/manifest.webmanifest", views.manifest, name="manifest"),
    path("m/icon.svg", views.icon, name="icon"),
    path("m/sw.js", views.service_worker, name="sw"),
    path("m/tasks.json", views.mobile_tasks, name="mobile_tasks"),
    path("m/sync/", views.mobile_sync, name="mobile_sync"),
]
