from django.urls import path

from . import views

urlpatterns = [
    path("", views.my_page, name="me"),
    path("export.xlsx", views.my_export, name="me-export"),
    path("declarations/<int:declaration_id>/", views.correct_page, name="me-correct"),
    path("family/new/", views.family_new, name="me-family-new"),
    path("family/<int:member_id>/", views.family_member, name="me-member"),
    path("family/<int:member_id>/declare/", views.family_declare, name="me-member-declare"),
]
