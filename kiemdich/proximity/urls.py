from django.urls import path

from . import simulation_views, verification_views

app_name = "proximity"
urlpatterns = [
    path("simulation/", simulation_views.latest, name="simulation"),
    path("simulation/chart.png", simulation_views.chart, name="simulation_chart"),
    path("simulation/table.csv", simulation_views.table, name="simulation_table"),
    path("cases/<int:case_id>/code/", verification_views.case_code, name="case_code"),
    path("codes/new/", verification_views.hand_code, name="hand_code"),
]
