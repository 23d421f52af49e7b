"""`/api/v1/proximity`: verification codes, the phone's verify and certificate steps, the key
upload and the sharing of an exposure (the field names of Google's verification and key
servers' APIs where they have one).

Issuing a code is for health tracers of the case's own area (signed in). The phone's calls are
public and rate-limited (`proximity-verify` for claiming a code, which is guessed by trying;
`proximity-upload` for the others, and `proximity-share` once a day per person for an
exposure shared); each refusal is a 4xx with a stable `code`.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja import Status as HttpStatus

from kiemdich.accounts.access import visible_or_404, works_with_personal_data
from kiemdich.accounts.audit import record_read
from kiemdich.ratelimit import hit, hit_once
from kiemdich.tracing.models import Case

from . import keyserver, verification
from .models import TestType

router = Router(tags=["proximity"])


class VerificationCodeIn(Schema):
    case_id: int | None = Field(None, description="The case it is for; none: a code by hand.")
    symptom_onset: dt.date | None = Field(None, description="Default: the case's onset.")
    test_type: str = Field(TestType.CONFIRMED, description='Only "confirmed".')


class VerificationCodeOut(Schema):
    code: str = Field(description="8 digits, valid 15 minutes: read it out to the person.")
    long_code: str = Field(description="16 characters, valid 24 hours: for a link by SMS.")
    expires_at: dt.datetime
    long_expires_at: dt.datetime
    case_id: int | None
    issued_today: int
    daily_quota: int


@router.post(
    "/codes", response={201: VerificationCodeOut}, summary="Issue a verification code (tracers)"
)
def issue_code(request: HttpRequest, payload: VerificationCodeIn):
    user = request.auth
    if not works_with_personal_data(user):
        raise PermissionDenied(_("Verification codes are issued by health tracers of an area."))
    case = None
    if payload.case_id is not None:
        case = visible_or_404(Case.objects.select_related("unit"), user, pk=payload.case_id)
    issued = verification.issue_code(
        user, case=case, symptom_onset=payload.symptom_onset, test_type=payload.test_type
    )
    if case is not None:
        record_read(
            user,
            f"case {case.pk} verification code",
            subjects=[case.person_id],
            action="issue",
            unit=case.unit,
            reason="verification code for the Bluetooth app",
            request=request,
        )
    return HttpStatus(
        201,
        {
            "code": issued.code,
            "long_code": issued.long_code,
            "expires_at": issued.expires_at,
            "long_expires_at": issued.long_expires_at,
            "case_id": case.pk if case else None,
            "issued_today": verification.issued_today(issued.record.unit),
            "daily_quota": verification.daily_quota(),
        },
    )


class VerifyIn(Schema):
    code: str = Field(max_length=40)


class VerifyOut(Schema):
    token: str
    expires_at: dt.datetime
    testtype: str
    symptomDate: dt.date | None


@router.post("/verify", auth=None, response=VerifyOut, summary="Exchange a code for a token")
def verify(request: HttpRequest, payload: VerifyIn):
    hit(request, ["proximity-verify"])
    token = verification.verify_code(payload.code)
    return {
        "token": token.token,
        "expires_at": token.expires_at,
        "testtype": token.test_type,
        "symptomDate": token.symptom_onset,
    }


class CertificateIn(Schema):
    token: str = Field(max_length=500)
    ekeyhmac: str = Field(max_length=100, description="base64 HMAC-SHA256 of the keys (tekmac)")


class CertificateOut(Schema):
    certificate: str
    expires_at: dt.datetime


@router.post(
    "/certificate",
    auth=None,
    response=CertificateOut,
    summary="Exchange a token and the keys' HMAC for a certificate",
)
def certificate(request: HttpRequest, payload: CertificateIn):
    hit(request, ["proximity-upload"])
    cert = verification.issue_certificate(payload.token, payload.ekeyhmac)
    return {"certificate": cert.certificate, "expires_at": cert.expires_at}


class ExposureKeyIn(Schema):
    key: str = Field(max_length=64, description="16 bytes, base64")
    rollingStartNumber: int = Field(ge=0, le=2**32 - 1)
    rollingPeriod: int = 144
    transmissionRisk: int = 0


class PublishIn(Schema):
    temporaryExposureKeys: list[ExposureKeyIn] = Field(max_length=30)
    verificationPayload: str = Field(max_length=4000, description="the certificate")
    hmacKey: str = Field(max_length=200, description="the phone's HMAC secret, base64")
    symptomOnsetInterval: int | None = Field(
        None, description="ENIntervalNumber of the onset day; default: the certificate's"
    )
    consent: bool = Field(
        False,
        description="The F0 agrees that contacts found through these keys join the case's "
        "F1 list (only for a code issued from a case).",
    )
    healthAuthorityID: str = Field("", max_length=100)
    traveler: bool = False
    padding: str = Field("", max_length=2000)


class PublishOut(Schema):
    insertedExposures: int
    linkedToCase: int
    retried: bool


@router.post("/keys", auth=None, response=PublishOut, summary="Upload a case's diagnosis keys")
def publish(request: HttpRequest, payload: PublishIn):
    hit(request, ["proximity-upload"])
    keys = [
        keyserver.UploadKey(k.key, k.rollingStartNumber, k.rollingPeriod, k.transmissionRisk)
        for k in payload.temporaryExposureKeys
    ]
    result = keyserver.publish(
        keys,
        certificate=payload.verificationPayload,
        hmac_key=payload.hmacKey,
        symptom_onset_interval=payload.symptomOnsetInterval,
        consent=payload.consent,
    )
    return {
        "insertedExposures": result.inserted,
        "linkedToCase": result.linked,
        "retried": result.retried,
    }


class HeardIn(Schema):
    key: str = Field(max_length=64)
    rollingStartNumber: int = Field(ge=0, le=2**32 - 1)
    firstSeen: dt.datetime
    lastSeen: dt.datetime


class ExposureIn(Schema):
    personToken: str = Field(max_length=200, description="the person's own token")
    exposures: list[HeardIn] = Field(max_length=keyserver.MAX_KEYS)


class ExposureOut(Schema):
    received: int = Field(description="The distinct keys accepted for checking.")


@router.post(
    "/exposures",
    auth=None,
    response={202: ExposureOut},
    summary="A warned person shares their exposure with tracing (their choice)",
)
def share_exposure(request: HttpRequest, payload: ExposureIn):
    """The answer is the same whichever keys are linked to a case (202, how many keys were
    received): diagnosis keys are public, and an answer that counted cases would tell anyone
    holding a person token which keys belong together. One share per person a day
    (`proximity-share`): the same share again answers as the first, another one 429."""
    hit(request, ["proximity-upload"])
    heard = [
        keyserver.HeardKey(e.key, e.rollingStartNumber, e.firstSeen, e.lastSeen)
        for e in payload.exposures
    ]
    share = keyserver.check_exposure(payload.personToken, heard)
    if hit_once(request, "proximity-share", f"person-{share.person.pk}", share.fingerprint):
        keyserver.report_exposure(share)
    return HttpStatus(202, {"received": len(share.spans)})
