"""Queueing and sending messages; the only code that writes the outbox."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import Channel, Message, State

#: A message that failed this often stays failed (an operator can retry it in the admin).
MAX_ATTEMPTS = 5


#: A link as an SMS app sees one: a scheme (`http://`, `javascript://`), or names joined by dots
#: (`vaccine-free.example.com`, `www.x.vn`, `1.2.3.4`), with an optional port and path.
_LINK = re.compile(
    r"(?:\b[a-z][a-z0-9+.-]*://)?(?:[\w-]+\.)+[\w-]+(?::\d+)?(?:/\S*)?"
    r"|\b[a-z][a-z0-9+.-]*://\S*",
    re.IGNORECASE,
)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
#: Dots that IDNA (and so some phones) read as ".", after NFKC has mapped the full-width one.
_DOTS = str.maketrans({"\u3002": ".", "\uff61": ".", "\uff0e": "."})


def _host(link: str) -> str:
    rest = _SCHEME.sub("", link)
    return urlsplit(f"//{rest}").hostname or ""


def _trusted(link: str, allow_hosts: Iterable[str]) -> bool:
    host = _host(link)
    return any(host == h or host.endswith(f".{h}") for h in allow_hosts if h)


def _defuse(link: str) -> str:
    """'http://evil.example/x' -> 'http[:]//evil[.]example/x': still readable, not a link."""
    return re.sub(r"(?<=\w)\.(?=\w)", "[.]", link.replace("://", "[:]//"))


def safe_sms_text(text: str, *, max_length: int = 60, allow_hosts: Iterable[str] = ()) -> str:
    """Text someone typed (a checkpoint's or an organization's name, a campaign's text), made
    fit to go into an SMS the platform sends in its own name.

    A checkpoint named "vaccine-free.example.com" would otherwise be a link in a warning that
    comes from the health authorities. So: links are defused (`evil[.]example`, `http[:]//`),
    except to `allow_hosts` and their subdomains (the platform's own pages, `gov.vn`); control
    and invisible characters (NUL, zero-width spaces, right-to-left overrides) go, line breaks
    and tabs become spaces; the result is at most `max_length` characters (cut with "…")."""
    text = unicodedata.normalize("NFKC", text or "").translate(_DOTS)
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if ch.isspace() or category in ("Zl", "Zp"):
            kept.append(" ")
        elif category[0] != "C":  # Cc control, Cf format, Cs, Co, Cn
            kept.append(ch)
    text = " ".join("".join(kept).split())
    allow_hosts = tuple(h.lower() for h in allow_hosts)
    text = _LINK.sub(
        lambda m: m.group(0) if _trusted(m.group(0), allow_hosts) else _defuse(m.group(0)), text
    )
    if len(text) > max_length:
        text = text[: max_length - 1].rstrip() + "…"
    return text


def trusted_link_hosts() -> tuple[str, ...]:
    """Hosts whose links a campaign text may carry: this platform's and the government's."""
    return tuple(h for h in (urlsplit(settings.PUBLIC_URL).hostname, "gov.vn") if h)


def queue(key: str, to: str, body: str, channel: str = Channel.SMS) -> tuple[Message, bool]:
    """Add a message unless one with this key exists; (message, whether it is new)."""
    try:
        with transaction.atomic():
            return Message.objects.create(key=key, to=to, body=body, channel=channel), True
    except IntegrityError:
        return Message.objects.get(key=key), False


def queue_many(rows: Iterable[tuple[str, str, str, str]]) -> None:
    """Add many messages (key, to, body, channel) in one statement; keys already in the outbox
    are skipped, so a batch run twice queues nothing the second time."""
    Message.objects.bulk_create(
        [Message(key=key, to=to, body=body, channel=channel) for key, to, body, channel in rows],
        ignore_conflicts=True,
    )


def sender():
    return import_string(settings.MESSAGE_SENDER)()


def as_delivered(body: str, channel: str = Channel.SMS) -> str:
    """The text as it arrives on a phone: `body` with whatever the configured sender adds (a
    carrier's brand name before it, an opt-out line after it), so that what an official
    confirms, and what its cost is counted on, is what people get. A sender that adds nothing
    has no `render` (senders.py)."""
    render = getattr(sender(), "render", None)
    return body if render is None else render(body, channel)


def send_pending(limit: int = 500) -> int:
    """Hand waiting messages to the sender, oldest first; returns how many were sent."""
    backend, sent = sender(), 0
    with transaction.atomic():
        batch = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(state=State.QUEUED)
            .order_by("created_at")[:limit]
        )
        for message in batch:
            message.attempts += 1
            try:
                backend.send(message)
            except Exception as exc:
                message.error = str(exc)[:300]
                if message.attempts >= MAX_ATTEMPTS:
                    message.state = State.FAILED
            else:
                message.state, message.sent_at, message.error = State.SENT, timezone.now(), ""
                sent += 1
            message.save(update_fields=["attempts", "error", "state", "sent_at"])
    return sent
