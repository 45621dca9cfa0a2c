from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("", include("ylyx.workspace.urls")),
    path("", include("ylyx.core.urls")),
    path("accounts/", include("ylyx.accounts.urls")),
    path("regions/", include("ylyx.regions.urls")),
    path("institutions/", include("ylyx.institutions.urls")),
    path("people/", include("ylyx.people.urls")),
    path("workforce/", include("ylyx.workforce.urls")),
    path("imports/", include("ylyx.imports.urls")),
    path("indicators/", include("ylyx.indicators.urls")),
    path("audit/", include("ylyx.audit.urls")),
    path("supervision/", include("ylyx.supervision.urls")),
    path("assessments/", include("ylyx.assessments.urls")),
    path("subsidies/", include("ylyx.subsidies.urls")),
    path("visits/", include("ylyx.visits.urls")),
    path("care/", include("ylyx.care.urls")),
    path("public/supervision/", include("ylyx.supervision.public_urls")),
    path("planning/", include("ylyx.planning.urls")),
    path("api/", include("ylyx.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

handler400 = "ylyx.core.views_errors.bad_request"
handler403 = "ylyx.core.views_errors.permission_denied"
handler404 = "ylyx.core.views_errors.not_found"
handler500 = "ylyx.core.views_errors.server_error"
