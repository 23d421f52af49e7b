"""Diagnosis keys past their 14 days (kiemdich.retention runs this with the other purges).

The rule is the protocol's own (keystore.expired): 14 days after a key's last interval,
whatever the personal-data period the purge is given; so the cutoff is not used. The export
run deletes the same keys every hour; this is the nightly safety net.
"""

from __future__ import annotations

from kiemdich.retention import Expiry

from . import keystore
from .models import DiagnosisKey

EXPIRIES = [Expiry("diagnosis_keys", DiagnosisKey, lambda cutoff: keystore.expired(), order=40)]
