from django.urls import path

from . import views

app_name = "workforce"
urlpatterns = [
    path("", views.PractitionerListView.as_view(), name="list"),
    path("new/", views.PractitionerEditView.as_view(), name="create"),
    path("<int:pk>/", views.PractitionerDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.PractitionerEditView.as_view(), name="edit"),
    path("<int:pk>/certificates/", views.AddCertificateView.as_view(), name="add_certificate"),
    path("<int:pk>/trainings/", views.AddTrainingView.as_view(), name="add_training"),
    path("<int:pk>/employments/", views.AddEmploymentView.as_view(), name="add_employment"),
    path("employments/<int:pk>/end/", views.EndEmploymentView.as_view(), name="end_employment"),
]
