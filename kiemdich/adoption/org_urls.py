"""The organizations' pages (adoption.org_views), under /orgs/ in orgs' `orgs` namespace after
orgs' own list import (kiemdich/urls.py composes the two; `<code>/` comes last)."""

from django.urls import path

from . import org_views

urlpatterns = [
    path("", org_views.mine, name="mine"),
    path("<str:code>/", org_views.detail, name="detail"),
]
