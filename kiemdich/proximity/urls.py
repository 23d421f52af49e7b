from django.urls import path

from . import verification_views

app_name = "proximity"
urlpatterns = [
    path("cases/<int:case_id>/code/", verification_views.case_code, name="case_code"),
    path("codes/new/", verification_views.hand_code, name="hand_code"),
]
