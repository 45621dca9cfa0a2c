from django.urls import path

from . import views

app_name = "subsidies"
urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("programmes/", views.ProgrammeListView.as_view(), name="programme_list"),
    path("programmes/<int:pk>/", views.ProgrammeDetailView.as_view(), name="programme_detail"),
    path("applications/", views.ApplicationListView.as_view(), name="application_list"),
    path("applications/new/", views.ApplicationCreateView.as_view(), name="application_create"),
    path("applications/<int:pk>/", views.ApplicationDetailView.as_view(), name="application_detail"),
    path("batches/", views.BatchListView.as_view(), name="batch_list"),
    path("batches/new/", views.BatchCreateView.as_view(), name="batch_create"),
    path("batches/<int:pk>/", views.BatchDetailView.as_view(), name="batch_detail"),
    path("batches/<int:pk>/bank.xlsx", views.BankFileView.as_view(), name="batch_bank_file"),
    path("ledger/", views.LedgerListView.as_view(), name="ledger_list"),
    path("recoveries/", views.RecoveryListView.as_view(), name="recovery_list"),
    path("recoveries/<int:pk>/", views.RecoveryDetailView.as_view(), name="recovery_detail"),
    path("absences/", views.AbsenceListView.as_view(), name="absence_list"),
    path("absences/new/", views.AbsenceCreateView.as_view(), name="absence_create"),
    path("checks/", views.CrossCheckView.as_view(), name="crosscheck"),
]
