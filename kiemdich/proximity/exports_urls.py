from django.urls import path

from . import exports_views

app_name = "proximity_exports"
urlpatterns = [
    path("exports/", exports_views.export_status, name="status"),
    path("public-keys/", exports_views.public_keys, name="public_keys"),
]
