"""Public pages (no login, security.md: disclosure required by law): published results, draws to verify,
the institutions' black list."""

from django.urls import path

from . import views

app_name = "supervision_public"
urlpatterns = [
    path("", views.public_index, name="index"),
    path("draws/<int:pk>/", views.public_task, name="task"),
    path("draws/<int:pk>/draw.json", views.public_task_json, name="task_json"),
    path("results/<int:pk>/", views.public_result, name="result"),
]
