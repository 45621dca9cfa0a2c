from django.urls import path

from . import views

app_name = "regions"
urlpatterns = [
    path("tree/", views.tree, name="tree"),
    path("search/", views.search_view, name="search"),
    path("children/", views.children_view, name="children"),
]
