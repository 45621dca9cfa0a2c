from django.urls import path

from . import views

app_name = "planning"
urlpatterns = [
    path("", views.gaps, name="gaps"),
    path("projection/", views.projection, name="projection"),
    path("map/", views.planning_map, name="map"),
    path("norms/<int:plan_id>/", views.norms, name="norms"),
]
