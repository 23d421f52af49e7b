"""What of the key server expires (kiemdich.retention runs these with the other purges).

Diagnosis keys follow the protocol's own rule (keystore.expired): 14 days after a key's last
interval, whatever the personal-data period the purge is given, so the cutoff is not used; the
export run deletes the same keys every hour and this is the nightly safety net.

A verification code is worth nothing once its long form expired (24 hours): its row (HMACs of
the codes, which case, which tracer) is kept for the retention period after that, as the record
of who issued what, then goes. A key linked to a case with the F0's consent goes with the case
(the same rule as tracing's cases) or with the key itself, 14 days after it ended (the key
store's rule, `keystore.expired`): no phone can report having heard it any more.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from kiemdich.retention import Expiry

from . import keystore
from .models import ConsentedKey, DiagnosisKey, VerificationCode


def _stale_links(cutoff: dt.datetime):
    with_case = Q(case__infectious_to__lt=cutoff, case__confirmed_at__lt=cutoff)
    ended = keystore.expired(rows=ConsentedKey.objects.all())
    return ConsentedKey.objects.filter(with_case | Q(pk__in=ended.values("pk")))


EXPIRIES = [
    Expiry("keys linked with consent", ConsentedKey, _stale_links, order=29),
    Expiry(
        "verification codes",
        VerificationCode,
        lambda cutoff: VerificationCode.objects.filter(long_expires_at__lt=cutoff),
        order=29,
    ),
    Expiry("diagnosis_keys", DiagnosisKey, lambda cutoff: keystore.expired(), order=40),
]
