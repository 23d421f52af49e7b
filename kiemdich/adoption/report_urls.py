"""Placeholder: filled in by the reports work of issue 6."""

app_name = "reports"
urlpatterns: list = []
