"""The site's URLs plus two views that fail, for the error-page tests."""

from django.urls import path
from rest_framework.views import APIView

from ylyx.urls import handler400, handler403, handler404, handler500  # noqa: F401  (the site's handlers)
from ylyx.urls import urlpatterns as site


def boom(request):
    raise RuntimeError("boom in a page")


class ApiBoom(APIView):
    def get(self, request):
        raise RuntimeError("boom in the API")


urlpatterns = [path("boom/", boom), path("api/boom/", ApiBoom.as_view()), *site]
