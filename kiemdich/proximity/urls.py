from django.urls import path

from . import simulation_views

app_name = "proximity"
urlpatterns = [
    path("simulation/", simulation_views.latest, name="simulation"),
    path("simulation/chart.png", simulation_views.chart, name="simulation_chart"),
    path("simulation/table.csv", simulation_views.table, name="simulation_table"),
]
