from django.urls import path

from . import views

urlpatterns = [
    path("", views.my_page, name="me"),
    path("export.xlsx", views.my_export, name="me-export"),
    path("declarations/<int:declaration_id>/", views.correct_page, name="me-correct"),
]
