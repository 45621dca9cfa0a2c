from django.urls import path

from . import views_home

app_name = "core"
urlpatterns = [
    path("", views_home.home, name="home"),
    path("healthz", views_home.healthz, name="healthz"),
]
