from django.urls import path

from . import views

#: Also under /orgs/ and in this namespace: the organizations' own pages with their install
#: figures (kiemdich.adoption.org_urls), composed in kiemdich/urls.py (orgs imports no adoption).
app_name = "orgs"
urlpatterns = [
    path("import/", views.import_page, name="import"),
    path("import/template.xlsx", views.import_template, name="import-template"),
    path("import/<int:job_id>/", views.import_job, name="import-job"),
]
