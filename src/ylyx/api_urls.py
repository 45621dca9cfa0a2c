"""One router for the whole REST API; each app registers its viewsets in its own ``api.py``."""

from importlib import import_module
from importlib.util import find_spec

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from ylyx.workspace.api import RegistryStatsView

router = DefaultRouter()

for app in ("institutions", "people", "workforce", "indicators", "imports", "regions", "supervision",
            "assessments", "subsidies", "planning", "visits", "care"):
    if find_spec(f"ylyx.{app}.api") is not None:
        import_module(f"ylyx.{app}.api").register(router)

urlpatterns = [
    path("stats/", RegistryStatsView.as_view(), name="api-stats"),
    path("", include(router.urls)),
]
