from django.urls import path

from . import views

app_name = "monitoring"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export.xlsx", views.dashboard_export, name="export"),
    path("work/", views.work_list, name="work"),
    path("new/", views.enrol_new, name="new"),
    path("facilities/", views.facilities, name="facilities"),
    path("transfers/", views.transfers, name="transfers"),
    path("transfers/<int:transfer_id>/accept/", views.accept, name="accept"),
    path("communes/<str:code>/", views.commune_list, name="commune"),
    path("enrol/case/<int:case_id>/", views.enrol_case, name="enrol-case"),
    path("enrol/contact/<int:contact_id>/", views.enrol_contact, name="enrol-contact"),
    path(
        "enrol/declaration/<int:declaration_id>/",
        views.enrol_declaration,
        name="enrol-declaration",
    ),
    path("<int:monitoring_id>/", views.detail, name="detail"),
    path("<int:monitoring_id>/team-report/", views.team_report, name="team-report"),
    path("<int:monitoring_id>/transfer/", views.transfer, name="transfer"),
    path("<int:monitoring_id>/close/", views.close, name="close"),
    path("<int:monitoring_id>/exposure/", views.exposure, name="exposure"),
    path("<int:monitoring_id>/new-link/", views.new_link, name="new-link"),
    # The person's own pages, without an account.
    path("r/<str:token>/", views.report_page, name="report"),
    path("me/", views.my_monitorings, name="mine"),
    path("me/<int:monitoring_id>/", views.my_report, name="my-report"),
]
