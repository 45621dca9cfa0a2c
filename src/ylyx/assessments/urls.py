from django.urls import path

from . import views

app_name = "assessments"
urlpatterns = [
    path("", views.AssessmentListView.as_view(), name="list"),
    path("instrument/", views.instrument, name="instrument"),
    path("assessors/", views.QualificationListView.as_view(), name="assessors"),
    path("people/<int:pk>/", views.PersonAssessmentsView.as_view(), name="person"),
    path("<int:pk>/", views.AssessmentDetailView.as_view(), name="detail"),
    path("<int:pk>/fill/", views.FillView.as_view(), name="fill"),
]
