"""The keys that sign export files: derived, never stored; rotated with a head start.

Private keys are derived, not kept: HKDF-SHA256 of the master secret
(settings.PROXIMITY_SIGNING_SECRET) with the key's random salt and its version gives the P-256
scalar. The database holds the salt and the public key only, so neither a copy of it nor the
admin can sign a file; the same choice as the venues' QR keys (kiemdich.venues.signing),
chosen over an encrypted private key because there is then no key-encryption key to manage
besides the secret the server already has.

Phones verify a file with a public key they fetched before, named by `verification_key_id`
(the MCC, 452) and `verification_key_version` (v1, v2...). So a rotated key is published at
once but signs only from `active_from` (settings.PROXIMITY_KEY_ACTIVATION_HOURS later), and the
previous key stays published until no served file is signed by it (`retire_unused`).
"""

from __future__ import annotations

import datetime as dt
import secrets

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from kiemdich.core.errors import DomainError

from .exportfile import ExportSigner
from .models import ExportFile, SigningKey

#: Order of the P-256 group: the private scalar is 1..n-1.
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_INFO = b"kiemdich proximity export signing key "


class SigningKeyError(DomainError):
    """A rotation refused, or no key able to sign (a changed master secret)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(409, code, message)


def _derive(salt: bytes, version: int) -> ec.EllipticCurvePrivateKey:
    """The private key of a version: 48 bytes of HKDF reduced to a scalar (bias below 2^-128)."""
    okm = HKDF(
        algorithm=hashes.SHA256(),
        length=48,
        salt=salt,
        info=_INFO + str(version).encode(),
    ).derive(settings.PROXIMITY_SIGNING_SECRET.encode())
    scalar = int.from_bytes(okm, "big") % (_P256_ORDER - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1())


def _public_pem(private: ec.EllipticCurvePrivateKey) -> str:
    return (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def signer(key: SigningKey) -> ExportSigner:
    """The ExportSigner of a stored key, refused if the secret no longer gives its public key."""
    private = _derive(bytes(key.salt), key.version)
    if _public_pem(private) != key.public_key_pem:
        raise SigningKeyError(
            "signing_secret_changed",
            _(
                "Signing key %(version)s no longer matches the master secret "
                "(KIEMDICH_PROXIMITY_SIGNING_SECRET changed?). Make a new key with "
                "`kiemdich proximity rotate-key --now`."
            )
            % {"version": key.version_label},
        )
    return ExportSigner(private, key.key_id, key.version_label)


def _create(version: int, now: dt.datetime, active_from: dt.datetime) -> SigningKey:
    salt = secrets.token_bytes(32)
    return SigningKey.objects.create(
        version=version,
        key_id=settings.PROXIMITY_REGION,
        salt=salt,
        public_key_pem=_public_pem(_derive(salt, version)),
        created_at=now,
        active_from=active_from,
    )


def active_key(now: dt.datetime | None = None) -> SigningKey:
    """The key that signs files made at `now`: the newest one already active.

    The very first key is made here, active at once: with no key before it there is nothing
    else to sign with, and phones are given it before launch (docs/README.md).
    """
    now = now or timezone.now()
    key = (
        SigningKey.objects.filter(active_from__lte=now, retired_at__isnull=True)
        .order_by("-version")
        .first()
    )
    if key is not None:
        return key
    with transaction.atomic():
        if SigningKey.objects.select_for_update().exists():
            # Only waiting keys exist (made by rotate-key before any file): the oldest of them
            # would sign too early, so refuse rather than sign with a key phones may not have.
            raise SigningKeyError(
                "no_active_key", _("No signing key is active yet; files wait for it.")
            )
        return _create(1, now, now)


def rotate(
    now: dt.datetime | None = None, *, activate_in: dt.timedelta | None = None
) -> SigningKey:
    """A new key version, published at once and signing from `now + activate_in`.

    `activate_in` defaults to settings.PROXIMITY_KEY_ACTIVATION_HOURS; zero is for a key that
    must go at once (a compromised one), accepting that phones that have not fetched the new
    public key skip the files until they do. One waiting key at a time: a second rotation
    before the first one signs would leave phones two keys behind. With no key yet, the first
    one signs at once, as `active_key` would make it.
    """
    now = now or timezone.now()
    if activate_in is None:
        activate_in = dt.timedelta(hours=settings.PROXIMITY_KEY_ACTIVATION_HOURS)
    if activate_in < dt.timedelta(0):
        raise SigningKeyError("invalid", _("A key cannot sign from a time in the past."))
    with transaction.atomic():
        keys = list(SigningKey.objects.select_for_update().order_by("version"))
        if not keys:  # the first key, as active_key makes it: nothing else could sign
            return _create(1, now, now)
        waiting = [k for k in keys if k.active_from > now]
        if waiting and activate_in > dt.timedelta(0):
            raise SigningKeyError(
                "key_waiting",
                _("Key %(version)s is already waiting to sign from %(when)s.")
                % {
                    "version": waiting[-1].version_label,
                    "when": timezone.localtime(waiting[-1].active_from).strftime("%d/%m/%Y %H:%M"),
                },
            )
        version = keys[-1].version + 1
        if waiting:  # an immediate key replaces one still waiting: that one never signs
            SigningKey.objects.filter(pk__in=[k.pk for k in waiting]).update(retired_at=now)
        return _create(version, now, now + activate_in)


def retire_unused(now: dt.datetime) -> int:
    """Retire the keys no longer signing and no served file is signed by; how many.

    A key stops signing when a later one is active; it stays published while any file in the
    index still carries its signature, since a phone may download that file until it leaves.
    """
    current = active_key(now)
    served = ExportFile.objects.filter(signing_key=OuterRef("pk"), withdrawn_at__isnull=True)
    return (
        SigningKey.objects.filter(version__lt=current.version, retired_at__isnull=True)
        .exclude(Exists(served))
        .update(retired_at=now)
    )


def published(now: dt.datetime | None = None) -> list[dict]:
    """The public keys phones need: id, version, PEM, and from/until when each signs.

    Every key not retired: the active one, a waiting one (so phones learn it before it
    signs), and older ones while a served file is signed by them. `valid_to` is when the next
    key takes over (None while none is due).
    """
    keys = list(SigningKey.objects.order_by("version"))
    out = []
    for i, key in enumerate(keys):
        if key.retired_at is not None:
            continue
        later = [k for k in keys[i + 1 :] if k.retired_at is None]
        out.append(
            {
                "id": key.key_id,
                "version": key.version_label,
                "pem": key.public_key_pem,
                "valid_from": key.active_from,
                "valid_to": later[0].active_from if later else None,
            }
        )
    return out


def state(key: SigningKey, now: dt.datetime, active: SigningKey | None) -> str:
    """waiting, active, previous (no longer signs, still published) or retired."""
    if key.retired_at is not None:
        return "retired"
    if key.active_from > now:
        return "waiting"
    if active is not None and key.pk == active.pk:
        return "active"
    return "previous"
