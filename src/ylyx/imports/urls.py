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
]
