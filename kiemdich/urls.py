from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from kiemdich.accounts import views as account_views
from kiemdich.adoption import org_urls
from kiemdich.api import api
from kiemdich.checkins import selfscan
from kiemdich.checkins import urls as checkins_urls
from kiemdich.declarations import views as declaration_views
from kiemdich.hotline import urls as hotline_urls
from kiemdich.orgs import urls as orgs_urls
from kiemdich.ratelimit import login_lockout
from kiemdich.venues import urls as venues_urls
from kiemdich.web import views

# Sign-ins, on the site and in the admin, lock out after repeated failures (kiemdich.ratelimit).
admin.site.login = login_lockout(admin.site.login)

urlpatterns = [
    path("", views.home, name="home"),
    path("today/", views.today, name="today"),
    path("units/<str:code>/", views.unit_detail, name="unit-detail"),
    # Checkpoint pages, with the check-ins' staff scanner routed by checkins (venues imports no
    # checkins): one `venues` namespace, the scanner first.
    path(
        "venues/",
        include((checkins_urls.venue_urlpatterns + venues_urls.urlpatterns, venues_urls.app_name)),
    ),
    path("c/<str:payload>", selfscan.self_checkin, name="scan-landing"),
    path("p/<str:payload>", declaration_views.personal_qr, name="personal-qr"),
    path("declare/", declaration_views.declare_page, name="declare"),
    path("me/", include("kiemdich.declarations.urls")),
    path("stats/", include("kiemdich.checkins.urls")),
    path("tracing/", include("kiemdich.tracing.urls")),
    path("monitoring/", include("kiemdich.monitoring.urls")),
    path("proximity/", include("kiemdich.proximity.urls")),
    path("adoption/", include("kiemdich.adoption.urls")),
    path("reports/", include("kiemdich.reports.urls")),
    # Organizations: orgs' list import, then adoption's pages of their install figures.
    path("orgs/", include((orgs_urls.urlpatterns + org_urls.urlpatterns, orgs_urls.app_name))),
    path("campaigns/", include("kiemdich.messaging.urls")),
    path("proximity/", include("kiemdich.proximity.exports_urls")),
    # The hotline 1022: officials' pages, the public's form and status, Open311 GeoReport v2.
    path("hotline/", include("kiemdich.hotline.urls")),
    path("1022/", include((hotline_urls.public_urlpatterns, "hotline-public"))),
    path("open311/v2/", include((hotline_urls.open311_urlpatterns, "open311"))),
    path("signup/", account_views.signup, name="signup"),
    path("login/", login_lockout(auth_views.LoginView.as_view()), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]

#: Errors under /api/ answer in the API's JSON shape (DESIGN.md §3), pages keep Django's.
handler400 = "kiemdich.api.bad_request"
handler404 = "kiemdich.api.not_found"
handler500 = "kiemdich.api.server_error"
