"""One router for the whole REST API; each app registers its viewsets in its own ``api.py``."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

router = DefaultRouter()

for module in ("core", "institutions", "people", "workforce", "indicators", "imports", "regions"):
    try:
        mod = __import__(f"ylyx.{module}.api", fromlist=["register"])
    except ModuleNotFoundError:
        continue
    mod.register(router)

urlpatterns = [path("", include(router.urls))]
