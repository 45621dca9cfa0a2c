from django.urls import path

from . import views

app_name = "people"
urlpatterns = [
    path("elderly/", views.ElderlyListView.as_view(), name="elderly_list"),
    path("elderly/lookup/", views.ElderlyLookupView.as_view(), name="elderly_lookup"),
    path("elderly/new/", views.ElderlyEditView.as_view(), name="elderly_create"),
    path("elderly/<int:pk>/", views.ElderlyDetailView.as_view(), name="elderly_detail"),
    path("elderly/<int:pk>/edit/", views.ElderlyEditView.as_view(), name="elderly_edit"),
    path("elderly/<int:pk>/admit/", views.AdmitView.as_view(), name="elderly_admit"),
    path("elderly/<int:pk>/death/", views.DeathView.as_view(), name="elderly_death"),
    path("elderly/<int:pk>/move-out/", views.ElderlyMoveOutView.as_view(), name="elderly_move_out"),
    path("residences/<int:pk>/discharge/", views.DischargeView.as_view(), name="residence_discharge"),
    path("infants/", views.InfantListView.as_view(), name="infant_list"),
    path("infants/lookup/", views.InfantLookupView.as_view(), name="infant_lookup"),
    path("infants/new/", views.InfantEditView.as_view(), name="infant_create"),
    path("infants/<int:pk>/", views.InfantDetailView.as_view(), name="infant_detail"),
    path("infants/<int:pk>/edit/", views.InfantEditView.as_view(), name="infant_edit"),
    path("infants/<int:pk>/enrol/", views.EnrolView.as_view(), name="infant_enrol"),
    path("infants/<int:pk>/move-out/", views.InfantMoveOutView.as_view(), name="infant_move_out"),
    path("enrolments/<int:pk>/withdraw/", views.WithdrawView.as_view(), name="enrolment_withdraw"),
    path("reveal/<str:model>/<int:pk>/", views.reveal, name="reveal"),
]
