from django.urls import path

from . import views

#: Also under /venues/ and in this namespace: the check-ins' staff scanner page and its service
#: worker (kiemdich.checkins.urls.venue_urlpatterns), composed in kiemdich/urls.py so that venues
#: does not import checkins.
app_name = "venues"
urlpatterns = [
    path("", views.venue_list, name="list"),
    path("new/", views.venue_new, name="new"),
    path("import/", views.venue_import, name="import"),
    path("import/template.xlsx", views.venue_import_template, name="import-template"),
    path("import/<int:job_id>/", views.venue_import_job, name="import-job"),
    path("<int:venue_id>/", views.venue_detail, name="detail"),
    path("<int:venue_id>/edit/", views.venue_edit, name="edit"),
    path("<int:venue_id>/staff/", views.venue_staff, name="staff"),
    path("<int:venue_id>/<str:action>/", views.venue_action, name="action"),
]
