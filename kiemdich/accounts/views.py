"""Sign-up for venue owners: a phone number and a password, nothing an owner has to wait for."""

from __future__ import annotations

from django import forms
from django.contrib.auth import login
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kiemdich.phones import normalize_phone
from kiemdich.ratelimit import limit

from .models import Role, User


class SignupForm(forms.Form):
    full_name = forms.CharField(label=gettext_lazy("Full name"), max_length=150)
    phone = forms.CharField(label=gettext_lazy("Mobile phone"), max_length=20)
    password = forms.CharField(label=gettext_lazy("Password"), widget=forms.PasswordInput)

    def clean_phone(self) -> str:
        phone = normalize_phone(self.cleaned_data["phone"])
        if User.objects.filter(username=phone).exists():
            raise ValidationError(_("This phone number already has an account: log in instead."))
        return phone

    def clean(self) -> dict:
        data = super().clean()
        if data.get("password") and data.get("phone"):
            user = User(username=data["phone"], first_name=data.get("full_name", ""))
            try:
                validate_password(data["password"], user)
            except ValidationError as exc:
                self.add_error("password", exc)
        return data


@limit("signup")
def signup(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = "/"
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        first, _sep, last = form.cleaned_data["full_name"].strip().rpartition(" ")
        user = User.objects.create_user(
            username=form.cleaned_data["phone"],
            password=form.cleaned_data["password"],
            first_name=first or last,
            last_name=last if first else "",
            phone=form.cleaned_data["phone"],
            role=Role.VENUE_OWNER,
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(next_url)
    return render(request, "registration/signup.html", {"form": form, "next": next_url})
