from django.urls import path

from . import views

app_name = "regions"
urlpatterns = [
    path("tree/", views.tree, name="tree"),
]
