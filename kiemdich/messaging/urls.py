"""Placeholder: filled in by the campaigns work of issue 6."""

app_name = "campaigns"
urlpatterns: list = []
