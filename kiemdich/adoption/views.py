"""Placeholder while the dashboard is written."""

from django.http import HttpResponse


def dashboard(request):
    return HttpResponse()


export_xlsx = export_pdf = dashboard
