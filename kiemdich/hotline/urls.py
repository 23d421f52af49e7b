from django.urls import path, re_path

from . import open311, views

app_name = "hotline"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.intake, name="intake"),
    path("board/", views.board, name="board"),
    path("inbox/", views.inbox, name="inbox"),
    path("rules/", views.rules, name="rules"),
    path("stats/", views.statistics, name="stats"),
    path("stats.<str:fmt>", views.statistics_file, name="stats-file"),
    path("tickets/<int:ticket_id>/", views.ticket_detail, name="ticket"),
    path("tickets/<int:ticket_id>/<str:action>/", views.ticket_action, name="ticket-action"),
]

#: The public's pages, under /1022/: the report form and the status lookup.
public_urlpatterns = [
    path("", views.public_report, name="report"),
    path("status/", views.public_status, name="status"),
]

#: Open311 GeoReport v2 under /open311/v2/.
open311_urlpatterns = [
    re_path(r"^services\.(?P<fmt>json|xml)$", open311.service_list, name="open311-services"),
    re_path(r"^requests\.(?P<fmt>json|xml)$", open311.request_list, name="open311-requests"),
    re_path(
        r"^requests/(?P<number>[A-Za-z0-9-]{1,20})\.(?P<fmt>json|xml)$",
        open311.request_detail,
        name="open311-request",
    ),
]
