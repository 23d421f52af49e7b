from django.urls import path

from . import views

app_name = "campaigns"
urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_new, name="new"),
    path("new/confirm/", views.campaign_confirm, name="confirm"),
    path("<int:campaign_id>/", views.campaign_detail, name="detail"),
]
