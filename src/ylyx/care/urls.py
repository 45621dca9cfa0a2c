from django.urls import path

from . import views

app_name = "care"
urlpatterns = [
    path("", views.home, name="home"),
    path("timebank/<int:pk>/statement/", views.statement, name="statement"),
]
