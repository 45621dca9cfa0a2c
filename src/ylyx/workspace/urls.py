from django.urls import path

from . import map as map_views
from . import views

app_name = "workspace"
urlpatterns = [
    path("", views.home, name="home"),
    path("map/", views.city_map, name="map"),
    path("map/data/", map_views.map_data, name="map_data"),
]
