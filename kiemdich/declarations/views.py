"""Pages for people (no account): declare, see and correct their declarations, show their QR.

The person is the one this browser's cookie names (declarations.cookies). Officials never reach a
person's data through these pages: they only ever show the cookie's own person.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from kiemdich.accounts.access import scans_anywhere
from kiemdich.accounts.audit import record_read
from kiemdich.core.files import file_response
from kiemdich.core.idempotency import posted_client_id
from kiemdich.geo.models import Unit
from kiemdich.ratelimit import limit
from kiemdich.venues import signing

from . import cookies, services
from .exports import my_data_xlsx
from .forms import DeclarationForm, FamilyDeclarationForm
from .models import Declaration, Person


def _form_page(request: HttpRequest, form: DeclarationForm, **context) -> HttpResponse:
    return render(
        request,
        "declarations/form.html",
        {"form": form, "provinces": Unit.objects.provinces(), "client_id": uuid.uuid4(), **context},
    )


@limit("declare")
def declare_page(request: HttpRequest) -> HttpResponse:
    """A new declaration; on this phone's person if it has one (a later one updates the last)."""
    person = cookies.person_from(request)
    if request.method == "POST":
        form = DeclarationForm(request.POST)
        if form.is_valid():
            try:
                declaration, _created = services.declare(
                    form.cleaned_data, person=person, client_id=posted_client_id(request)
                )
            except services.ReusedClientId as exc:
                form.add_error(None, exc.message)  # the page gets a new client id: send again
            else:
                response = redirect("me")
                cookies.remember(response, declaration.person)
                messages.success(request, _("Your health declaration was recorded. Thank you!"))
                return response
    else:
        latest = person.declarations.first() if person else None
        initial = DeclarationForm.initial_from(latest) if latest else {}
        initial.pop("symptoms", None)  # the 14-day questions are answered afresh each time
        initial.pop("contact_with_case", None)
        initial.pop("travel_outbreak_area", None)
        form = DeclarationForm(initial=initial)
    return _form_page(request, form)


def my_page(request: HttpRequest) -> HttpResponse:
    person = cookies.person_from(request)
    if person is None:
        return redirect("declare")
    declarations = Paginator(person.declarations.select_related("commune"), 20).get_page(
        request.GET.get("page")
    )
    visits = person.checkins.select_related("venue").order_by("-t_in")[:20]
    return render(
        request,
        "declarations/mine.html",
        {
            "person": person,
            "page": declarations,
            "visits": visits,
            "qr_svg": services.personal_qr_svg(person),
            "family": services.family(person),
        },
    )


def my_export(request: HttpRequest) -> HttpResponse:
    person = cookies.person_from(request)
    if person is None:
        return redirect("declare")
    return file_response(
        my_data_xlsx(person),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "khai-bao-y-te.xlsx",
    )


@limit("declare")
def correct_page(request: HttpRequest, declaration_id: int) -> HttpResponse:
    person = cookies.person_from(request)
    if person is None:
        return redirect("declare")
    declaration = get_object_or_404(Declaration, pk=declaration_id, person=person)
    if request.method == "POST":
        form = DeclarationForm(request.POST)
        if form.is_valid():
            services.correct(declaration, form.cleaned_data)
            messages.success(request, _("Your declaration was corrected."))
            return redirect("me")
    else:
        form = DeclarationForm(initial=DeclarationForm.initial_from(declaration))
    return _form_page(request, form, declaration=declaration)


def personal_qr(request: HttpRequest, payload: str) -> HttpResponse:
    """What a phone camera opens from someone's personal QR: only staff learn who it is."""
    try:
        number = signing.verify(payload, kind=signing.PERSON).number
    except signing.InvalidPayload as exc:
        status = 410 if exc.gone else 400
        return render(
            request, "declarations/personal_qr.html", {"error": exc.message}, status=status
        )
    person = Person.objects.filter(pk=number).first()
    if person is None:
        raise Http404(_("This personal code is no longer valid (its data was deleted)."))
    shown = None
    if scans_anywhere(request.user):
        record_read(
            request.user,
            f"person {person.pk} personal QR",
            subjects=[person.pk],
            unit=person.commune_id,
            reason="personal QR opened by staff",
            request=request,
        )
        shown = {
            "name": services.masked_name(person.full_name),
            "birth_year": person.birth_year,
            "gender": person.get_gender_display(),
        }
    return render(request, "declarations/personal_qr.html", {"shown": shown})


# Family members: declared from this phone, each with a QR of their own


def _family_page(
    request: HttpRequest, form: FamilyDeclarationForm, status: int = 200, **context
) -> HttpResponse:
    return render(
        request,
        "declarations/family_form.html",
        {"form": form, "provinces": Unit.objects.provinces(), "client_id": uuid.uuid4(), **context},
        status=status,
    )


def _fresh(initial: dict) -> dict:
    """The form's values without the answers to the health questions: asked afresh each time."""
    for name in ("symptoms", "contact_with_case", "travel_outbreak_area"):
        initial.pop(name, None)
    return initial


def _declare_member(request: HttpRequest, declarer: Person, member: Person | None) -> HttpResponse:
    """The family declaration form: a new member (`member` None) or the member's next one."""
    status = 200
    if request.method == "POST":
        form = FamilyDeclarationForm(request.POST)
        status = 422
        if form.is_valid():
            try:
                declaration, _created = services.declare_for_member(
                    declarer,
                    form.cleaned_data,
                    member_id=member.pk if member else None,
                    client_id=posted_client_id(request),
                )
            except (services.ReusedClientId, services.FamilyFull) as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(
                    request,
                    _("The health declaration of %(name)s was recorded.")
                    % {"name": declaration.person.full_name},
                )
                return redirect("me-member", declaration.person_id)
    elif member is not None:
        latest = member.declarations.first()
        initial = DeclarationForm.initial_from(latest) if latest else {}
        if latest and latest.phone == declarer.phone:
            initial["phone"] = ""  # it was left empty: the declarer's own number
        form = FamilyDeclarationForm(initial=_fresh(initial))
    else:
        # A household usually lives together: where the declarer lives, to change if not.
        form = FamilyDeclarationForm(
            initial={
                "nationality": declarer.nationality or "VN",
                "commune_code": declarer.commune_id,
                "address": declarer.address,
            }
        )
    return _family_page(request, form, status, member=member)


@limit("declare")
def family_new(request: HttpRequest) -> HttpResponse:
    """Declare for a family member who has no smartphone (a child, an elderly parent)."""
    declarer = cookies.person_from(request)
    if declarer is None:
        return redirect("declare")
    return _declare_member(request, declarer, None)


@limit("declare")
def family_declare(request: HttpRequest, member_id: int) -> HttpResponse:
    """A member's next declaration: it updates the member, as one's own does."""
    declarer = cookies.person_from(request)
    if declarer is None:
        return redirect("declare")
    try:
        member = services.member_of(declarer, member_id)
    except services.NotFamily:
        raise Http404(_("Not found.")) from None
    return _declare_member(request, declarer, member)


def family_member(request: HttpRequest, member_id: int) -> HttpResponse:
    """A family member's QR (to show at a checkpoint's door), declarations and visits: only on
    the phone that declared for them."""
    declarer = cookies.person_from(request)
    if declarer is None:
        return redirect("declare")
    try:
        member = services.member_of(declarer, member_id)
    except services.NotFamily:
        raise Http404(_("Not found.")) from None
    return render(
        request,
        "declarations/member.html",
        {
            "member": member,
            "declarations": member.declarations.select_related("commune")[:20],
            "visits": member.checkins.select_related("venue").order_by("-t_in")[:20],
            "qr_svg": services.personal_qr_svg(member),
        },
    )
