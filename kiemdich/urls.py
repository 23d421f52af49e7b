from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from kiemdich.accounts import views as account_views
from kiemdich.api import api
from kiemdich.venues import views as venue_views
from kiemdich.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("units/<str:code>/", views.unit_detail, name="unit-detail"),
    path("venues/", include("kiemdich.venues.urls")),
    path("c/<str:payload>", venue_views.scan_landing, name="scan-landing"),
    path("stats/", include("kiemdich.checkins.urls")),
    path("signup/", account_views.signup, name="signup"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
