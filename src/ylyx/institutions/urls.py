from django.urls import path

from . import views

app_name = "institutions"
urlpatterns = [
    path("", views.InstitutionListView.as_view(), name="list"),
    path("new/", views.InstitutionEditView.as_view(), name="create"),
    path("<int:pk>/", views.InstitutionDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.InstitutionEditView.as_view(), name="edit"),
    path("<int:pk>/status/", views.StatusChangeView.as_view(), name="status"),
    path("<int:pk>/classes/new/", views.ClassCreateView.as_view(), name="class_create"),
    path("classes/<int:pk>/edit/", views.ClassEditView.as_view(), name="class_edit"),
    path("classes/<int:pk>/delete/", views.ClassDeleteView.as_view(), name="class_delete"),
    path("<int:pk>/service-points/new/", views.ServicePointCreateView.as_view(), name="service_point_create"),
    path("service-points/<int:pk>/delete/", views.ServicePointDeleteView.as_view(), name="service_point_delete"),
    path("<int:pk>/filing/submit/", views.FilingSubmitView.as_view(), name="filing_submit"),
    path("<int:pk>/filing/transition/", views.FilingTransitionView.as_view(), name="filing_transition"),
]
