from django.apps import AppConfig


class DemoConfig(AppConfig):
    """`kiemdich demo`: the Bình Phước demo province, built through every app's services. Above
    every app (none imports it); it has no models."""

    name = "kiemdich.demo"
    verbose_name = "Demo data"  # no models: never shown in the admin
