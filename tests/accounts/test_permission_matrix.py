"""The permission matrix: every role against every endpoint and page that reads or writes
personal data, with the answer the product must give (DESIGN.md §4).

One small world (Bình Phước; a checkpoint in Đức Phong 25396 run by its owner for a school, a
second checkpoint of another owner, a person who declared through the API, their visit and a
neighbour's, a case with that neighbour as F1, an organization with its admin, a campaign), one
table `MATRIX` (endpoint -> the answer of each role, in `ROLES` order), one test per endpoint
that asks it as each role. Each role's request runs in a savepoint rolled back afterwards, so
every role meets the same world and one role's writes never change another's answer.

Answers: an HTTP status; `LOGIN` a redirect to the login page (pages, anonymous); `NONE` an
answer that holds nothing of the world (a list without the person or checkpoint asked about, a
personal QR that names nobody, a staff change that was not made). Default deny: a row outside
one's area is the same 404 as a missing one; a role that may never do it gets 403; the API
answers 401 without credentials.

Every answer that gives an official (officers, tracers, organization admins, the superuser)
personal data must leave an audit record of that request: its actor, the people read
(`subjects`, at least those the endpoint names in `PEOPLE`), the unit, an action or reason.

Deliberately left out (nothing personal, or the same gate as a row above):
- `POST /api/v1/installs` (an app's pseudonymous install id, no person), `/adoption/`,
  `/api/v1/adoption`, `/api/v1/units/...`: figures only (`/units/25396/`, with its bulletin, is
  in the table as one of them).
- `POST /api/v1/declarations`, `/declare/`, `/c/<payload>`: a person's own writes, public and
  rate-limited; the first is how the world's person declares.
- `PUT /api/v1/declarations/mine/{id}`, `POST /me/declarations/{id}/`: the same person gate as
  `GET /api/v1/declarations/mine` and `/me/declarations/{id}/` (both in the table); so are
  `/me/family/new/` and `/me/family/{id}/declare/` (`/me/family/{id}/` is in it).
- `POST /venues/{id}/phone/` and `POST /api/v1/checkins/phone/{id}/checkin`: the same gates as
  `/venues/{id}/phone/` and `.../confirm` (in the table); their answers are in
  tests/checkins/test_phone_checkin.py.
- `/tracing/new/`, `/tracing/{id}/trace-f2/`, `POST /tracing/{id}/communes/{code}/notify/`: the
  page twins of `POST /api/v1/cases`, `/trace` and `/notify`, behind the same `case_or_404` (the
  question asked before warning, `GET .../notify/`, is in the table).
- Venue writes that hold no personal data (register, edit, approve...), the organization
  writes: tested in their apps; here only their reads (and the campaign's confirmation, which
  sends, and the question asked before closing a checkpoint).
- `/api/v1/proximity/exports/...`, `/api/v1/proximity/public-keys`, `/proximity/public-keys/`:
  the published export files and signing keys, public by design (random keys, no person).
- The import templates (`/venues/import/template.xlsx`, `/orgs/import/template.xlsx`): empty
  files with headers, behind the import pages' own gate (tests/venues/test_import.py).
- `/proximity/simulation/chart.png` and `table.csv`: the simulation page's chart and table,
  behind the page's own gate (tests/proximity/test_simulation_page.py).
- `POST /api/v1/proximity/verify`, `/certificate`, `/keys`: public and rate-limited, a phone's
  own steps; they hold no personal data (codes and keys name nobody). `POST
  /api/v1/proximity/exposures`: a person's own write (their token in the body) joining a
  case's F1 list, once a day, answering the same whatever it matched (it reads nothing
  back), tested in tests/proximity/test_keys.py. `/proximity/codes/new/`: a code by
  hand, for no case: the same tracer gate, nothing personal shown
  (tests/proximity/test_pages.py).
- The hotline operator: an area role with the tracer's reach (PERSONAL_DATA_ROLES), whose
  rows would repeat the tracer's; what only operators and supervisors do (logging a call,
  moving and reopening tickets) is the superuser's column here and tested for the operator in
  tests/hotline. The world's hotline ticket is held by a police station whose only member is
  the citizen's account (agency staff sign up as citizens and are added to their agency).
- The hotline's other steps (`note`, `return`) and page forms: the gates of `acknowledge` and
  `resolve` (in the table); the public report form and Open311's POST: public writes, tested in
  tests/hotline (their answers name nothing but the new number); `/hotline/stats.pdf`: the
  gate of `/hotline/stats.xlsx` (in the table).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.utils import timezone

from kiemdich.accounts.models import AuditLog, Role
from kiemdich.accounts.tokens import create_token
from kiemdich.checkins import phonecheck
from kiemdich.checkins.models import Checkin
from kiemdich.declarations.cookies import PERSON_COOKIE
from kiemdich.declarations.models import Declaration, Person
from kiemdich.declarations.services import personal_qr_url
from kiemdich.geo.models import Unit
from kiemdich.hotline import services as hotline
from kiemdich.hotline.models import Agency
from kiemdich.messaging.models import Campaign, Message
from kiemdich.monitoring import services as monitoring
from kiemdich.monitoring.links import report_token
from kiemdich.monitoring.models import Monitoring, Transfer
from kiemdich.orgs.models import Organization
from kiemdich.tracing import services as tracing
from kiemdich.tracing.models import Contact
from kiemdich.venues.models import VenueStaff
from kiemdich.venues.services import qr_url
from tests.conftest import make_user
from tests.declarations.conftest import DECLARATION
from tests.venues.conftest import make_venue

LOGIN = "login"  # redirected to the login page
NONE = "none"  # answered, but with nothing of the world (or nothing done)

ROLES = (
    "anonymous",
    "person",  # no account: the API's X-Person-Token, the pages' person cookie
    "citizen",
    "owner",  # owns the checkpoint (for the school, so its admin runs it too)
    "other_owner",  # owns another checkpoint of the same commune
    "commune",  # officer of Đức Phong (25396): the person's, the checkpoint's commune
    "other_commune",  # officer of Thống Nhất (25420), same district
    "district",  # Bù Đăng (696)
    "province",  # Bình Phước (70)
    "tracer",  # health tracer of Bù Đăng
    "tracer_out",  # health tracer of Lộc Ninh (692)
    "org_admin",  # admin of the school the checkpoint belongs to
    "superuser",
)

#: Roles whose reads of personal data are audited (DESIGN.md §4: "by an official").
OFFICIALS = {
    "commune",
    "other_commune",
    "district",
    "province",
    "tracer",
    "tracer_out",
    "org_admin",
    "superuser",
}

# fmt: off
#: endpoint -> the answer of each role, in ROLES order:
#   anonymous  person  citizen  owner  other_owner  commune  other_commune  district  province
#   tracer  tracer_out  org_admin  superuser
MATRIX: dict[str, tuple] = {
    # API: tracing. Outside the area a phone names nobody: the same 422 as an unknown phone.
    "POST /api/v1/cases":                (401, 401, 403, 403, 403, 201, 422, 201, 201, 201, 422, 403, 201),  # noqa: E501
    "GET /api/v1/cases/{id}":            (401, 401, 403, 403, 403, 200, 404, 200, 200, 200, 404, 403, 200),  # noqa: E501
    "GET /api/v1/cases/{id}/contacts":   (401, 401, 403, 403, 403, 200, 404, 200, 200, 200, 404, 403, 200),  # noqa: E501
    "PATCH /api/v1/cases/{id}/contacts/{cid}":
                                         (401, 401, 403, 403, 403, 200, 404, 200, 200, 200, 404, 403, 200),  # noqa: E501
    "POST /api/v1/cases/{id}/trace":     (401, 401, 403, 403, 403, 200, 404, 200, 200, 200, 404, 403, 200),  # noqa: E501
    "POST /api/v1/cases/{id}/notify/preview":
                                         (401, 401, 403, 403, 403, 200, 404, 200, 200, 200, 404, 403, 200),  # noqa: E501
    "POST /api/v1/cases/{id}/notify":    (401, 401, 403, 403, 403, 200, 404, 200, 200, 200, 404, 403, 200),  # noqa: E501
    # API: monitoring. The neighbour (F1) is under home quarantine in Đức Phong; a traveller
    # from there waits to be accepted by Thống Nhất. A report by the person's own token for
    # someone else's monitoring is a 404; the link's token is the person's (test_api).
    "GET /api/v1/monitoring":            (401, 401, 403, 403, 403, 200, NONE, 200, 200, 200, NONE, 403, 200),  # noqa: E501
    "POST /api/v1/monitoring":           (401, 401, 403, 403, 403, 201, 422, 201, 201, 201, 422, 403, 201),  # noqa: E501
    "GET /api/v1/monitoring/{id}":       (401, 401, 403, 403, 403, 200, 404, 200, 200, 200, 404, 403, 200),  # noqa: E501
    "POST /api/v1/monitoring/{id}/reports":
                                         (403, 404, 403, 403, 403, 201, 404, 201, 201, 201, 404, 403, 201),  # noqa: E501
    "POST /api/v1/monitoring/{id}/transfer":
                                         (401, 401, 403, 403, 403, 201, 404, 201, 201, 201, 404, 403, 201),  # noqa: E501
    "POST /api/v1/monitoring/transfers/{id}/accept":
                                         (401, 401, 403, 403, 403, 422, 200, 200, 200, 200, 404, 403, 200),  # noqa: E501
    "POST /api/v1/monitoring/{id}/close":
                                         (401, 401, 403, 403, 403, 200, 404, 200, 200, 200, 404, 403, 200),  # noqa: E501
    "GET /api/v1/monitoring/dashboard":  (401, 401, 403, 403, 403, 200, 200, 200, 200, 200, 200, 403, 200),  # noqa: E501
    # API: Bluetooth verification codes, issued by the case's own area only.
    "POST /api/v1/proximity/codes":      (401, 401, 403, 403, 403, 201, 404, 201, 201, 201, 404, 403, 201),  # noqa: E501
    # API: staff scans. The poster is public, so a checkpoint one may not scan at is a 403.
    # Tracers trace; they do not staff checkpoints (accounts.access.scan_q).
    "POST /api/v1/checkins (person)":    (401, 401, 403, 201, 403, 201, 403, 201, 201, 403, 403, 201, 201),  # noqa: E501
    "POST /api/v1/checkins (ID card)":   (401, 401, 403, 201, 403, 201, 403, 201, 201, 403, 403, 201, 201),  # noqa: E501
    "POST /api/v1/checkins/batch":       (401, 401, 403, 201, 403, 201, 403, 201, 201, 403, 403, 201, 201),  # noqa: E501
    # API: visitors without a smartphone. Asking for a code: where one may scan (the checkpoint
    # is named by its id, so one out of reach is a 404). The code is the asking account's
    # alone (the owner's here): anyone else typing it gets a 404. The right code checks the
    # phone's person in, showing them masked.
    "POST /api/v1/checkins/phone":       (401, 401, 404, 202, 404, 202, 404, 202, 202, 403, 404, 202, 202),  # noqa: E501
    "POST /api/v1/checkins/phone/{id}/confirm":
                                         (401, 401, 404, 201, 404, 404, 404, 404, 404, 404, 404, 404, 201),  # noqa: E501
    # API: checkpoints (their contact phone), posters
    "GET /api/v1/venues":                (401, 401, NONE, 200, NONE, 200, NONE, 200, 200, 200, NONE, 200, 200),  # noqa: E501
    "GET /api/v1/venues/{id}":           (401, 401, 404, 200, 404, 200, 404, 200, 200, 200, 404, 200, 200),  # noqa: E501
    "GET /api/v1/venues/{id}/qr.png":    (401, 401, 404, 200, 404, 200, 404, 200, 200, 200, 404, 200, 200),  # noqa: E501
    "GET /api/v1/venues/posters.pdf":    (401, 401, 403, 403, 403, 200, 403, 200, 200, 403, 403, 403, 200),  # noqa: E501
    # API: figures (no person in them; the unit's area decides)
    "GET /api/v1/stats/checkpoints":     (401, 401, 403, 403, 403, 200, 403, 200, 200, 200, 403, 403, 200),  # noqa: E501
    "GET /api/v1/reports/daily":         (401, 401, 403, 403, 403, 200, 403, 200, 200, 200, 403, 403, 200),  # noqa: E501
    "GET /api/v1/orgs":                  (401, 401, NONE, NONE, NONE, 200, NONE, 200, 200, 200, NONE, 200, 200),  # noqa: E501
    "GET /api/v1/campaigns":             (401, 401, 403, 403, 403, 200, NONE, 200, 200, 403, 403, NONE, 200),  # noqa: E501
    # What a campaign would do (a count, the text), queuing nothing: where one may send.
    "POST /api/v1/campaigns/preview":    (401, 401, 403, 403, 403, 200, 403, 200, 200, 403, 403, 403, 200),  # noqa: E501
    # API: a person's own data, only with their own token
    "GET /api/v1/declarations/mine":     (401, 200, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401),  # noqa: E501
    "GET /api/v1/declarations/mine.xlsx":(401, 200, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401),  # noqa: E501
    # The family members a phone declares for: that phone's token only.
    "GET /api/v1/declarations/family":   (401, 200, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401),  # noqa: E501
    "POST /api/v1/declarations/family (member)":
                                         (401, 201, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401),  # noqa: E501
    # Pages: tracing
    "/tracing/":                         (LOGIN, LOGIN, 403, 403, 403, 200, NONE, 200, 200, 200, NONE, 403, 200),  # noqa: E501
    "/tracing/{id}/":                    (LOGIN, LOGIN, 403, 403, 403, 200, 404, 200, 200, 200, 404, 403, 200),  # noqa: E501
    "/tracing/{id}/communes/25396/":     (LOGIN, LOGIN, 403, 403, 403, 200, 404, 200, 200, 200, 404, 403, 200),  # noqa: E501
    "/tracing/{id}/communes/25396/notify/":
                                         (LOGIN, LOGIN, 403, 403, 403, 200, 404, 200, 200, 200, 404, 403, 200),  # noqa: E501
    "/tracing/{id}/communes/25396/export.xlsx":
                                         (LOGIN, LOGIN, 403, 403, 403, 200, 404, 200, 200, 200, 404, 403, 200),  # noqa: E501
    "POST /tracing/{id}/contacts/{cid}/":(LOGIN, LOGIN, 403, 403, 403, 302, 404, 302, 302, 302, 404, 403, 302),  # noqa: E501
    # Pages: monitoring. The dashboard has figures only (each official their own unit's); the
    # SMS link is the person's credential, whoever opens it; /monitoring/me/ the phone's.
    "/monitoring/":                      (LOGIN, LOGIN, 403, 403, 403, 200, 200, 200, 200, 200, 200, 403, 200),  # noqa: E501
    "/monitoring/export.xlsx":           (LOGIN, LOGIN, 403, 403, 403, 200, 200, 200, 200, 200, 200, 403, 200),  # noqa: E501
    "/monitoring/communes/25396/":       (LOGIN, LOGIN, 403, 403, 403, 200, 404, 200, 200, 200, 404, 403, 200),  # noqa: E501
    "/monitoring/work/":                 (LOGIN, LOGIN, 403, 403, 403, 200, NONE, 200, 200, 200, NONE, 403, 200),  # noqa: E501
    "/monitoring/{id}/":                 (LOGIN, LOGIN, 403, 403, 403, 200, 404, 200, 200, 200, 404, 403, 200),  # noqa: E501
    "POST /monitoring/{id}/team-report/":(LOGIN, LOGIN, 403, 403, 403, 302, 404, 302, 302, 302, 404, 403, 302),  # noqa: E501
    "POST /monitoring/{id}/close/":      (LOGIN, LOGIN, 403, 403, 403, 302, 404, 302, 302, 302, 404, 403, 302),  # noqa: E501
    "POST /monitoring/{id}/transfer/":   (LOGIN, LOGIN, 403, 403, 403, 302, 404, 302, 302, 302, 404, 403, 302),  # noqa: E501
    "POST /monitoring/{id}/exposure/":   (LOGIN, LOGIN, 403, 403, 403, 302, 404, 302, 302, 302, 404, 403, 302),  # noqa: E501
    "/monitoring/{id}/new-link/":        (LOGIN, LOGIN, 403, 403, 403, 200, 404, 200, 200, 200, 404, 403, 200),  # noqa: E501
    "POST /monitoring/{id}/new-link/":   (LOGIN, LOGIN, 403, 403, 403, 302, 404, 302, 302, 302, 404, 403, 302),  # noqa: E501
    # The sender sees the transfer but cannot accept it (the page says so: nothing done).
    "POST /monitoring/transfers/{id}/accept/":
                                         (LOGIN, LOGIN, 403, 403, 403, NONE, 302, 302, 302, 302, 404, 403, 302),  # noqa: E501
    "/monitoring/transfers/":            (LOGIN, LOGIN, 403, 403, 403, 200, 200, 200, 200, 200, NONE, 403, 200),  # noqa: E501
    "/monitoring/facilities/":           (LOGIN, LOGIN, 403, 403, 403, 200, 200, 200, 200, 200, 200, 403, 200),  # noqa: E501
    "/monitoring/new/":                  (LOGIN, LOGIN, 403, 403, 403, 200, 200, 200, 200, 200, 200, 403, 200),  # noqa: E501
    "/monitoring/enrol/case/{id}/":      (LOGIN, LOGIN, 403, 403, 403, 200, 404, 200, 200, 200, 404, 403, 200),  # noqa: E501
    # From a hotline ticket: its area's officials in a role with personal data; the agency's
    # member (the citizen) sees the ticket without the button, and may not enrol.
    "/hotline/tickets/{id}/ enrol button":
                                         (LOGIN, LOGIN, NONE, 404, 404, 200, 404, 200, 200, 200, 404, 404, 200),  # noqa: E501
    "/monitoring/new/?ticket={id}":      (LOGIN, LOGIN, 403, 403, 403, 200, 404, 200, 200, 200, 404, 403, 200),  # noqa: E501
    "POST /monitoring/new/ from a ticket":
                                         (LOGIN, LOGIN, 403, 403, 403, 302, 404, 302, 302, 302, 404, 403, 302),  # noqa: E501
    "POST /monitoring/enrol/contact/{cid}/":
                                         (LOGIN, LOGIN, 403, 403, 403, 302, 404, 302, 302, 302, 404, 403, 302),  # noqa: E501
    # The person's declaration, as if it reported travel from an outbreak area.
    "POST /monitoring/enrol/declaration/{id}/":
                                         (LOGIN, LOGIN, 403, 403, 403, 302, 404, 302, 302, 302, 404, 403, 302),  # noqa: E501
    "/monitoring/r/<token>/":            (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),  # noqa: E501
    "/monitoring/me/":                   (302, 200, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302),  # noqa: E501
    # The person's phone reports for itself and its family only, not for the neighbour.
    "/monitoring/me/{id}/":              (302, 404, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302),  # noqa: E501
    "/proximity/cases/{id}/code/":      (LOGIN, LOGIN, 403, 403, 403, 200, 404, 200, 200, 200, 404, 403, 200),  # noqa: E501
    # Pages: checkpoints
    "/venues/":                          (LOGIN, LOGIN, NONE, 200, NONE, 200, NONE, 200, 200, 200, NONE, 200, 200),  # noqa: E501
    "/venues/{id}/":                     (LOGIN, LOGIN, 404, 200, 404, 200, 404, 200, 200, 200, 404, 200, 200),  # noqa: E501
    "/venues/{id}/scanner/":             (LOGIN, LOGIN, 404, 200, 404, 200, 404, 200, 200, 403, 404, 200, 200),  # noqa: E501
    "/venues/{id}/phone/":               (LOGIN, LOGIN, 404, 200, 404, 200, 404, 200, 200, 403, 404, 200, 200),  # noqa: E501
    "POST /venues/{id}/phone/{check}/":  (LOGIN, LOGIN, 404, 201, 404, 404, 404, 404, 404, 403, 404, 404, 201),  # noqa: E501
    "POST /venues/{id}/staff/":          (LOGIN, LOGIN, 404, 302, 404, 302, 404, 302, 302, 403, 404, 302, 302),  # noqa: E501
    # Closing asks first: the question is for those who may close it.
    "/venues/{id}/close/":               (LOGIN, LOGIN, 404, 200, 404, 200, 404, 200, 200, 403, 404, 200, 200),  # noqa: E501
    # Pages: a person's own data (the cookie's person; everyone else is sent to declare)
    "/me/":                              (302, 200, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302),  # noqa: E501
    "/me/export.xlsx":                   (302, 200, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302),  # noqa: E501
    "/me/declarations/{id}/":            (302, 200, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302),  # noqa: E501
    "/me/family/{id}/":                  (302, 200, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302),  # noqa: E501
    # A personal QR opened with a phone's camera: only those who scan somewhere learn who
    # (masked), as their scanner would show it: the other owner runs a checkpoint too; the
    # officer of Thống Nhất has no checkpoint in the commune, so scans nowhere.
    "/p/<payload>":                      (NONE, NONE, NONE, 200, 200, 200, NONE, 200, 200, NONE, NONE, 200, 200),  # noqa: E501
    # Pages: figures, campaigns, organizations, reports
    "/stats/checkpoints/?unit=25396":    (LOGIN, LOGIN, 403, 403, 403, 200, 403, 200, 200, 200, 403, 403, 200),  # noqa: E501
    "/campaigns/":                       (LOGIN, LOGIN, 403, 403, 403, 200, NONE, 200, 200, 403, 403, NONE, 200),  # noqa: E501
    # The preview shows a few recipients, masked (audited); confirming sends.
    "POST /campaigns/new/ (preview)":    (LOGIN, LOGIN, 403, 403, 403, 200, 403, 200, 200, 403, 403, 403, 200),  # noqa: E501
    "POST /campaigns/new/confirm/":      (LOGIN, LOGIN, 403, 403, 403, 302, 403, 302, 302, 403, 403, 403, 302),  # noqa: E501
    "/orgs/":                            (LOGIN, LOGIN, 403, 403, 403, 200, NONE, 200, 200, 403, 403, 200, 200),  # noqa: E501
    "/reports/?unit=25396":              (LOGIN, LOGIN, 403, 403, 403, 200, 403, 200, 200, 200, 403, 403, 200),  # noqa: E501
    # The Bluetooth export files' status: counts, no person; officers and tracers of any area.
    "/proximity/exports/":               (LOGIN, LOGIN, 403, 403, 403, 200, 200, 200, 200, 200, 200, 403, 200),  # noqa: E501
    # The close-contact simulation: a synthetic district, no person in it; for those who trace.
    "/proximity/simulation/":            (LOGIN, LOGIN, 403, 403, 403, 200, 200, 200, 200, 200, 200, 403, 200),  # noqa: E501
    # Pages: the start pages. Only the phone's own person is named; officials get counts, and
    # their bulletin names nobody; an owner (and the school's admin) their checkpoints.
    "/ (people)":                        (NONE, 200, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE),  # noqa: E501
    "/today/ (people)":                  (LOGIN, LOGIN, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE),  # noqa: E501
    "/today/ (checkpoints)":             (LOGIN, LOGIN, NONE, 200, NONE, NONE, NONE, NONE, NONE, NONE, NONE, 200, NONE),  # noqa: E501
    "/units/25396/":                     (LOGIN, LOGIN, 403, 403, 403, 200, 403, 200, 200, 200, 403, 403, 200),  # noqa: E501
    # The hotline 1022. A ticket: officials of its area in a role with personal data, and the
    # members of the agency holding it (the citizen here); acting on it: that agency (or the
    # hotline's operators and supervisors: the superuser here). Reopening an open ticket is a
    # 409 once the gate lets one through.
    "POST /api/v1/tickets":              (401, 401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 201),  # noqa: E501
    "GET /api/v1/tickets/{id}":          (401, 401, 200, 404, 404, 200, 404, 200, 200, 200, 404, 404, 200),  # noqa: E501
    "POST /api/v1/tickets/{id}/acknowledge":
                                         (401, 401, 200, 404, 404, 403, 404, 403, 403, 403, 404, 404, 200),  # noqa: E501
    "POST /api/v1/tickets/{id}/resolve": (401, 401, 200, 404, 404, 403, 404, 403, 403, 403, 404, 404, 200),  # noqa: E501
    "POST /api/v1/tickets/{id}/reassign":(401, 401, 403, 404, 404, 403, 404, 403, 403, 403, 404, 404, 200),  # noqa: E501
    "POST /api/v1/tickets/{id}/reopen":  (401, 401, 403, 404, 404, 403, 404, 403, 403, 403, 404, 404, 409),  # noqa: E501
    "GET /api/v1/stats/hotline":         (401, 401, 404, 404, 404, 200, 404, 200, 200, 200, 404, 404, 200),  # noqa: E501
    "/hotline/":                         (LOGIN, LOGIN, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200),  # noqa: E501
    "/hotline/tickets/{id}/":            (LOGIN, LOGIN, 200, 404, 404, 200, 404, 200, 200, 200, 404, 404, 200),  # noqa: E501
    "/hotline/board/":                   (LOGIN, LOGIN, 403, 403, 403, 200, NONE, 200, 200, 200, NONE, 403, 200),  # noqa: E501
    "/hotline/inbox/":                   (LOGIN, LOGIN, 200, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200),  # noqa: E501
    "/hotline/stats/?unit=25396":        (LOGIN, LOGIN, 403, 403, 403, 200, 404, 200, 200, 200, 404, 403, 200),  # noqa: E501
    "/hotline/rules/":                   (LOGIN, LOGIN, 403, 403, 403, 403, 403, 403, 200, 403, 403, 403, 200),  # noqa: E501
    "/hotline/new/":                     (LOGIN, LOGIN, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200),  # noqa: E501
    "/hotline/stats.xlsx?unit=25396":    (LOGIN, LOGIN, 403, 403, 403, 200, 404, 200, 200, 200, 404, 403, 200),  # noqa: E501
    # The public's status of a ticket by its number: everyone, never the caller's phone or report.
    "/1022/status/?number=":             (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),  # noqa: E501
    "GET /open311/v2/requests/{id}.json":(200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),  # noqa: E501
    # The public list: only reports their reporters agreed to show (the world's is not).
    "GET /open311/v2/requests.json":     (NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE),  # noqa: E501
    # The admin: staff accounts only (the superuser here)
    "/admin/hotline/ticket/":            (LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, 200),  # noqa: E501
    "/admin/checkins/checkin/":          (LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, 200),  # noqa: E501
}
# fmt: on

#: A declaration reminder to Đức Phong (the world's campaign is an install reminder there).
PREVIEW_BODY = {"kind": "declaration", "unit_code": "25396"}
#: A child the person declares for from their phone: living with grandparents in Lộc Ninh
#: (25270), with their phone, so that the world's phones, Đức Phong's people and a case by the
#: person's phone stay as they were.
CHILD = {
    **DECLARATION,
    "full_name": "Nguyễn Thị Bé",
    "birth_year": 2017,
    "id_number": "",
    "phone": "0987 111 222",
    "commune_code": "25270",
}
PREVIEW_FORM = {"kind": "declaration", "audience": "unit", "unit": "25396", "channel": "sms"}
CCCD = "079190001234|123456789|Phạm Văn Đức|15081990|Nam|12 Lê Lợi, Đồng Xoài|01012021"
TYPED = {"full_name": "Lê Thị Cúc", "phone": "0987654321"}
HOTLINE_REPORT = "Đám cưới nhà ông Tư tụ tập hơn 50 người"


@dataclass
class World:
    users: dict
    person: Person  # declared through the API; the case (F0)
    neighbour: Person  # met the person at the checkpoint: the case's F1
    token: str  # the person's X-Person-Token
    shop: object
    other: object
    case: object
    contact: Contact
    school: Organization
    campaign: Campaign
    guard: object  # an account the staff form adds
    child: Person | None = None  # declared for by the person, from their phone
    phone_check: object = None  # a code the owner asked for the person's phone
    phone_code: str = ""  # that code, as the outbox sent it
    monitoring: object = None  # the neighbour's home quarantine, in Đức Phong
    transfer: object = None  # a traveller's, waiting for Thống Nhất to accept it
    ticket: object = None  # a hotline report from Đức Phong, held by the police station
    police: object = None  # the agency holding it (its member: the citizen's account)
    health: object = None  # another agency of the district, to move it to


@pytest.fixture
def world(personas) -> World:
    school = Organization.objects.create(
        code="BP-THCS-DUCPHONG", name="Trường THCS Đức Phong", kind="school", unit_id="25396"
    )
    other_owner = make_user("chudiem_khac", Role.VENUE_OWNER)
    users = {
        **{role: personas[role] for role in ("citizen", "commune", "other_commune", "district")},
        "province": personas["province"],
        "tracer": personas["tracer"],
        "owner": personas["venue_owner"],
        "other_owner": other_owner,
        "tracer_out": make_user("truyvet_locninh", Role.HEALTH_TRACER, "692"),
        "org_admin": make_user("truong_ducphong", Role.ORG_ADMIN, organization=school),
        "superuser": make_user("quantri", Role.CITIZEN, is_superuser=True, is_staff=True),
    }
    shop = make_venue(name="Tạp hóa Minh Phương", owner=users["owner"], organization=school)
    other = make_venue(name="Quán của người khác", owner=other_owner)

    declared = Client().post("/api/v1/declarations", DECLARATION, content_type="application/json")
    assert declared.status_code == 201, declared.json()
    token = declared.json()["person_token"]
    person = Person.objects.get(id_number=DECLARATION["id_number"])
    neighbour = Person.objects.create(
        full_name="Trần Thị Hàng", phone="+84912000002", commune_id="25396"
    )
    day = timezone.now() - dt.timedelta(days=1)
    Checkin.objects.bulk_create(
        [
            Checkin(
                client_id=uuid.uuid4(),
                venue=shop,
                person=who,
                method="self",
                t_in=start,
                t_out=start + dt.timedelta(minutes=20),
            )
            for who, start in ((person, day), (neighbour, day + dt.timedelta(minutes=5)))
        ]
    )
    case, _report = tracing.open_case(
        personas["tracer"], phone=person.phone, confirmed_at=timezone.now()
    )
    contact = Contact.objects.get(case=case)
    assert contact.person_id == neighbour.pk and contact.commune_id == "25396"
    campaign = Campaign.objects.create(
        name="Nhắc cài đặt",
        kind="install",
        text="Hãy cài PC-Covid.",
        channel="sms",
        unit_id="25396",
        created_by=personas["commune"],
    )
    guard = make_user("+84900000009", Role.CITIZEN)
    child = Client().post(
        "/api/v1/declarations/family",
        CHILD,
        content_type="application/json",
        HTTP_X_PERSON_TOKEN=token,
    )
    assert child.status_code == 201, child.json()
    check = phonecheck.start(users["owner"], shop.pk, person.phone)
    body = Message.objects.get(key=f"phone-code:{check.pk}").body
    watched = monitoring.enrol_contacts(personas["commune"], [contact])
    assert watched == 1
    # No phone: the campaign preview's two recipients in Đức Phong stay the same.
    traveller = Person.objects.create(full_name="Võ Văn Đường", commune_id="25396")
    moving, _new = monitoring.enrol(
        personas["commune"],
        traveller,
        regime="home_quarantine",
        exposure_at=timezone.now() - dt.timedelta(days=2),
        source="manual",
    )
    transfer = monitoring.request_transfer(
        personas["commune"], moving, Unit.objects.get(code="25420")
    )
    police = Agency.objects.create(name="Công an xã Đức Phong", kind="police", unit_id="25396")
    police.members.add(users["citizen"])
    health = Agency.objects.create(name="TTYT Bù Đăng", kind="district_health", unit_id="696")
    hotline.set_rule("gathering", police.unit, police)
    ticket = hotline.receive(
        hotline.Report(
            "call", "gathering", "25396", "Chợ Đức Phong", HOTLINE_REPORT, "0912 777 888"
        )
    )
    cache.clear()  # the declarations' rate-limit counts
    return World(
        users,
        person,
        neighbour,
        token,
        shop,
        other,
        case,
        contact,
        school,
        campaign,
        guard,
        child=Person.objects.get(pk=child.json()["member"]["id"]),
        phone_check=check,
        phone_code=re.search(r"\b\d{6}\b", body).group(0),
        monitoring=Monitoring.objects.get(person=neighbour),
        transfer=transfer,
        ticket=ticket,
        police=police,
        health=health,
    )


class Caller:
    """One role's credentials: a bearer token (or the person's header) for the API, a session
    (or the person's cookie) for pages."""

    def __init__(self, role: str, world: World) -> None:
        self.role, self.world = role, world
        self.user = world.users.get(role)
        self.client = Client()
        self._headers: dict | None = None

    def api_headers(self) -> dict:
        if self._headers is None:
            if self.role == "person":
                self._headers = {"HTTP_X_PERSON_TOKEN": self.world.token}
            elif self.user is not None:
                self._headers = {"HTTP_AUTHORIZATION": f"Bearer {create_token(self.user)[1]}"}
            else:
                self._headers = {}
        return self._headers

    def api(self, method: str, path: str, body: dict | None = None):
        call = getattr(self.client, method.lower())
        if body is None:
            return call(path, **self.api_headers())
        return call(path, body, content_type="application/json", **self.api_headers())

    def page(self, method: str, path: str, data: dict | None = None):
        if self.role == "person":
            self.client.cookies[PERSON_COOKIE] = self.world.token
        elif self.user is not None:
            self.client.force_login(self.user)
        call = getattr(self.client, method.lower())
        return call(path, data) if data is not None else call(path)


def status(response):
    """The answer as the table writes it."""
    if response.status_code == 302 and response["Location"].split("?")[0] in (
        "/login/",
        "/admin/login/",
    ):
        return LOGIN
    return response.status_code


def showing(test: Callable) -> Callable:
    """`status`, but NONE for a 200 whose body does not pass `test(response, world)`."""

    def answer(response, world):
        got = status(response)
        return NONE if got == 200 and not test(response, world) else got

    return answer


def batch_item(response, world):
    if response.status_code != 200:
        return response.status_code
    return response.json()["results"][0]["status"]


def lists_shop(response, world) -> bool:
    return any(item["id"] == world.shop.pk for item in response.json()["items"])


def scan(world: World, **fields) -> dict:
    return {
        "client_id": str(uuid.uuid4()),
        "venue": qr_url(world.shop),
        "direction": "in",
        **fields,
    }


def new_person(**lookup) -> Callable:
    return lambda world: set(Person.objects.filter(**lookup).values_list("pk", flat=True))


def personal_qr_path(world: World) -> str:
    return "/p/" + personal_qr_url(world.person).rsplit("/p/", 1)[1]


@dataclass
class Endpoint:
    ask: Callable  # (caller, world) -> response
    answer: Callable = lambda response, world: status(response)
    #: Personal data: an official's answer must be audited with (at least) these people.
    people: Callable | None = None


def _person(w: World) -> set[int]:
    return {w.person.pk}


def _neighbour(w: World) -> set[int]:
    return {w.neighbour.pk}


def _both(w: World) -> set[int]:
    return {w.person.pk, w.neighbour.pk}


def _nobody(w: World) -> set[int]:
    """Personal data of no declared person (a checkpoint's contact phone): audited, no ids."""
    return set()


def _staff_added(response, world):
    got = status(response)
    added = VenueStaff.objects.filter(venue=world.shop, user=world.guard)
    if got == 302 and not added.exists():
        return NONE
    return got


def _case_body(w: World) -> dict:
    return {"phone": w.person.phone, "confirmed_at": timezone.now().isoformat()}


def _contacts_of(response, w: World) -> bool:
    return any(c["person_id"] == w.neighbour.pk for c in response.json()["items"])


def _names_someone(response, w: World) -> bool:
    """The page names the world's person or their neighbour."""
    html = response.content.decode()
    return w.person.full_name in html or w.neighbour.full_name in html


def _watched(response, w: World) -> bool:
    return any(m["person_id"] == w.neighbour.pk for m in response.json()["items"])


def _traveller(w: World) -> set[int]:
    return {w.transfer.monitoring.person_id}


ENDPOINTS: dict[str, Endpoint] = {
    "GET /api/v1/monitoring": Endpoint(
        lambda c, w: c.api("GET", "/api/v1/monitoring"), showing(_watched), people=_neighbour
    ),
    "POST /api/v1/monitoring": Endpoint(
        lambda c, w: c.api(
            "POST",
            "/api/v1/monitoring",
            {
                "phone": w.person.phone,
                "regime": "home_isolation",
                "exposure_at": timezone.now().isoformat(),
            },
        ),
        people=_person,
    ),
    "GET /api/v1/monitoring/{id}": Endpoint(
        lambda c, w: c.api("GET", f"/api/v1/monitoring/{w.monitoring.pk}"), people=_neighbour
    ),
    "POST /api/v1/monitoring/{id}/reports": Endpoint(
        lambda c, w: c.api(
            "POST",
            f"/api/v1/monitoring/{w.monitoring.pk}/reports",
            {"reporter": "team_call", "outcome": "seen_well"}
            if c.user is not None
            else {"temperature": "36.6"},
        )
    ),
    "POST /api/v1/monitoring/{id}/transfer": Endpoint(
        lambda c, w: c.api(
            "POST", f"/api/v1/monitoring/{w.monitoring.pk}/transfer", {"to_commune": "25420"}
        )
    ),
    "POST /api/v1/monitoring/transfers/{id}/accept": Endpoint(
        lambda c, w: c.api("POST", f"/api/v1/monitoring/transfers/{w.transfer.pk}/accept", {})
    ),
    "POST /api/v1/monitoring/{id}/close": Endpoint(
        lambda c, w: c.api(
            "POST", f"/api/v1/monitoring/{w.monitoring.pk}/close", {"reason": "negative"}
        ),
        people=_neighbour,
    ),
    "GET /api/v1/monitoring/dashboard": Endpoint(
        lambda c, w: c.api("GET", "/api/v1/monitoring/dashboard")
    ),
    "/monitoring/": Endpoint(lambda c, w: c.page("GET", "/monitoring/")),
    "/monitoring/export.xlsx": Endpoint(lambda c, w: c.page("GET", "/monitoring/export.xlsx")),
    "/monitoring/communes/25396/": Endpoint(
        lambda c, w: c.page("GET", "/monitoring/communes/25396/"),
        showing(_names_someone),
        people=_neighbour,
    ),
    "/monitoring/work/": Endpoint(
        lambda c, w: c.page("GET", "/monitoring/work/"),
        showing(_names_someone),
        people=_neighbour,
    ),
    "/monitoring/{id}/": Endpoint(
        lambda c, w: c.page("GET", f"/monitoring/{w.monitoring.pk}/"), people=_neighbour
    ),
    "POST /monitoring/{id}/team-report/": Endpoint(
        lambda c, w: c.page(
            "POST",
            f"/monitoring/{w.monitoring.pk}/team-report/",
            {"client_id": str(uuid.uuid4()), "reporter": "team_visit", "outcome": "not_reached"},
        )
    ),
    "POST /monitoring/{id}/close/": Endpoint(
        lambda c, w: c.page("POST", f"/monitoring/{w.monitoring.pk}/close/", {"reason": "lost"})
    ),
    "POST /monitoring/{id}/transfer/": Endpoint(
        lambda c, w: c.page(
            "POST", f"/monitoring/{w.monitoring.pk}/transfer/", {"to_commune": "25420"}
        )
    ),
    "POST /monitoring/{id}/exposure/": Endpoint(
        lambda c, w: c.page("POST", f"/monitoring/{w.monitoring.pk}/exposure/", {"continues": "1"})
    ),
    "/monitoring/{id}/new-link/": Endpoint(
        lambda c, w: c.page("GET", f"/monitoring/{w.monitoring.pk}/new-link/"), people=_neighbour
    ),
    "POST /monitoring/{id}/new-link/": Endpoint(
        lambda c, w: c.page("POST", f"/monitoring/{w.monitoring.pk}/new-link/", {}),
        people=_neighbour,
    ),
    "POST /monitoring/transfers/{id}/accept/": Endpoint(
        lambda c, w: c.page("POST", f"/monitoring/transfers/{w.transfer.pk}/accept/", {}),
        lambda r, w: _accepted(r, w),
    ),
    "POST /monitoring/enrol/declaration/{id}/": Endpoint(
        lambda c, w: c.page("POST", f"/monitoring/enrol/declaration/{_travelled(w).pk}/", {}),
        lambda r, w: _enrolled(r, w),
    ),
    "/monitoring/me/{id}/": Endpoint(
        lambda c, w: c.page("GET", f"/monitoring/me/{w.monitoring.pk}/")
    ),
    "/monitoring/transfers/": Endpoint(
        lambda c, w: c.page("GET", "/monitoring/transfers/"),
        showing(lambda r, w: w.transfer.monitoring.person.full_name in r.content.decode()),
        people=_traveller,
    ),
    "/monitoring/facilities/": Endpoint(lambda c, w: c.page("GET", "/monitoring/facilities/")),
    "/monitoring/new/": Endpoint(lambda c, w: c.page("GET", "/monitoring/new/")),
    "/monitoring/enrol/case/{id}/": Endpoint(
        lambda c, w: c.page("GET", f"/monitoring/enrol/case/{w.case.pk}/")
    ),
    "/hotline/tickets/{id}/ enrol button": Endpoint(
        lambda c, w: c.page("GET", f"/hotline/tickets/{w.ticket.pk}/"),
        showing(lambda r, w: 'id="enrol-monitoring"' in r.content.decode()),
        people=_nobody,
    ),
    "/monitoring/new/?ticket={id}": Endpoint(
        lambda c, w: c.page("GET", f"/monitoring/new/?ticket={w.ticket.pk}"),
        showing(lambda r, w: w.ticket.number in r.content.decode()),
        people=_nobody,
    ),
    "POST /monitoring/new/ from a ticket": Endpoint(
        lambda c, w: c.page(
            "POST",
            "/monitoring/new/",
            {
                "ticket": w.ticket.pk,
                "phone": w.person.phone,
                "regime": "home_quarantine",
                "exposure_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            },
        ),
        lambda r, w: (
            status(r)
            if status(r) != 302
            or Monitoring.objects.filter(
                person=w.person, source="hotline", source_ref=f"ticket {w.ticket.number}"
            ).exists()
            else NONE
        ),
    ),
    "POST /monitoring/enrol/contact/{cid}/": Endpoint(
        lambda c, w: c.page("POST", f"/monitoring/enrol/contact/{w.contact.pk}/", {})
    ),
    "/monitoring/r/<token>/": Endpoint(
        lambda c, w: c.page("GET", f"/monitoring/r/{report_token(w.monitoring)}/"),
        showing(lambda r, w: w.neighbour.full_name in r.content.decode()),
    ),
    "/monitoring/me/": Endpoint(lambda c, w: c.page("GET", "/monitoring/me/")),
    "POST /api/v1/cases": Endpoint(
        lambda c, w: c.api("POST", "/api/v1/cases", _case_body(w)), people=_person
    ),
    "GET /api/v1/cases/{id}": Endpoint(
        lambda c, w: c.api("GET", f"/api/v1/cases/{w.case.pk}"), people=_person
    ),
    "GET /api/v1/cases/{id}/contacts": Endpoint(
        lambda c, w: c.api("GET", f"/api/v1/cases/{w.case.pk}/contacts"),
        showing(_contacts_of),
        people=_neighbour,
    ),
    "PATCH /api/v1/cases/{id}/contacts/{cid}": Endpoint(
        lambda c, w: c.api(
            "PATCH",
            f"/api/v1/cases/{w.case.pk}/contacts/{w.contact.pk}",
            {"status": "reached", "notes": "Đã gọi"},
        ),
        people=_neighbour,
    ),
    "POST /api/v1/proximity/codes": Endpoint(
        lambda c, w: c.api("POST", "/api/v1/proximity/codes", {"case_id": w.case.pk}),
        people=_person,
    ),
    "POST /api/v1/cases/{id}/trace": Endpoint(
        lambda c, w: c.api("POST", f"/api/v1/cases/{w.case.pk}/trace"), people=_person
    ),
    # What the warning would send, and sending it: counts and the text, naming nobody.
    "POST /api/v1/cases/{id}/notify/preview": Endpoint(
        lambda c, w: c.api("POST", f"/api/v1/cases/{w.case.pk}/notify/preview")
    ),
    "POST /api/v1/cases/{id}/notify": Endpoint(
        lambda c, w: c.api(
            "POST",
            f"/api/v1/cases/{w.case.pk}/notify",
            {"confirm": True, "recipients": tracing.unwarned(w.case).count()},
        )
    ),
    "POST /api/v1/checkins (person)": Endpoint(
        lambda c, w: c.api("POST", "/api/v1/checkins", scan(w, person=TYPED)),
        people=new_person(full_name=TYPED["full_name"]),
    ),
    "POST /api/v1/checkins (ID card)": Endpoint(
        lambda c, w: c.api("POST", "/api/v1/checkins", scan(w, person_qr=CCCD)),
        people=new_person(id_number="079190001234"),
    ),
    "POST /api/v1/checkins/batch": Endpoint(
        lambda c, w: c.api("POST", "/api/v1/checkins/batch", {"items": [scan(w, person=TYPED)]}),
        batch_item,
        people=new_person(full_name=TYPED["full_name"]),
    ),
    "POST /api/v1/checkins/phone": Endpoint(
        lambda c, w: c.api(
            "POST", "/api/v1/checkins/phone", {"venue_id": w.shop.pk, "phone": "0987 000 111"}
        )
    ),
    "POST /api/v1/checkins/phone/{id}/confirm": Endpoint(
        lambda c, w: c.api(
            "POST", f"/api/v1/checkins/phone/{w.phone_check.pk}/confirm", {"code": w.phone_code}
        ),
        people=_person,
    ),
    "GET /api/v1/venues": Endpoint(
        lambda c, w: c.api("GET", "/api/v1/venues"), showing(lists_shop), people=_nobody
    ),
    "GET /api/v1/venues/{id}": Endpoint(
        lambda c, w: c.api("GET", f"/api/v1/venues/{w.shop.pk}"), people=_nobody
    ),
    "GET /api/v1/venues/{id}/qr.png": Endpoint(
        lambda c, w: c.api("GET", f"/api/v1/venues/{w.shop.pk}/qr.png")
    ),
    "GET /api/v1/venues/posters.pdf": Endpoint(
        lambda c, w: c.api("GET", "/api/v1/venues/posters.pdf?unit=25396")
    ),
    "GET /api/v1/stats/checkpoints": Endpoint(
        lambda c, w: c.api("GET", "/api/v1/stats/checkpoints?unit=25396")
    ),
    "GET /api/v1/reports/daily": Endpoint(
        lambda c, w: c.api("GET", "/api/v1/reports/daily?unit=25396")
    ),
    "GET /api/v1/orgs": Endpoint(
        lambda c, w: c.api("GET", "/api/v1/orgs"),
        showing(lambda r, w: any(o["code"] == w.school.code for o in r.json()["items"])),
    ),
    "GET /api/v1/campaigns": Endpoint(
        lambda c, w: c.api("GET", "/api/v1/campaigns"),
        showing(lambda r, w: any(x["id"] == w.campaign.pk for x in r.json()["items"])),
    ),
    "POST /api/v1/campaigns/preview": Endpoint(
        lambda c, w: c.api("POST", "/api/v1/campaigns/preview", PREVIEW_BODY),
        showing(lambda r, w: r.json()["recipients"] == 2),
    ),
    "GET /api/v1/declarations/mine": Endpoint(
        lambda c, w: c.api("GET", "/api/v1/declarations/mine"),
        showing(lambda r, w: r.json()["items"][0]["id_number"] == DECLARATION["id_number"]),
    ),
    "GET /api/v1/declarations/mine.xlsx": Endpoint(
        lambda c, w: c.api("GET", "/api/v1/declarations/mine.xlsx")
    ),
    "GET /api/v1/declarations/family": Endpoint(
        lambda c, w: c.api("GET", "/api/v1/declarations/family"),
        showing(lambda r, w: [m["id"] for m in r.json()["items"]] == [w.child.pk]),
    ),
    "POST /api/v1/declarations/family (member)": Endpoint(
        lambda c, w: c.api(
            "POST", "/api/v1/declarations/family", {**CHILD, "member_id": w.child.pk}
        ),
    ),
    "/tracing/": Endpoint(
        lambda c, w: c.page("GET", "/tracing/"),
        showing(lambda r, w: f'href="/tracing/{w.case.pk}/"' in r.content.decode()),
        people=_person,
    ),
    "/tracing/{id}/": Endpoint(lambda c, w: c.page("GET", f"/tracing/{w.case.pk}/"), people=_both),
    "/proximity/cases/{id}/code/": Endpoint(
        lambda c, w: c.page("GET", f"/proximity/cases/{w.case.pk}/code/"), people=_person
    ),
    "/tracing/{id}/communes/25396/": Endpoint(
        lambda c, w: c.page("GET", f"/tracing/{w.case.pk}/communes/25396/"), people=_neighbour
    ),
    "/tracing/{id}/communes/25396/notify/": Endpoint(
        lambda c, w: c.page("GET", f"/tracing/{w.case.pk}/communes/25396/notify/")
    ),
    "/tracing/{id}/communes/25396/export.xlsx": Endpoint(
        lambda c, w: c.page("GET", f"/tracing/{w.case.pk}/communes/25396/export.xlsx"),
        people=_neighbour,
    ),
    "POST /tracing/{id}/contacts/{cid}/": Endpoint(
        lambda c, w: c.page(
            "POST",
            f"/tracing/{w.case.pk}/contacts/{w.contact.pk}/",
            {"status": "reached", "notes": "Đã gọi"},
        ),
        people=_neighbour,
    ),
    "/venues/": Endpoint(
        lambda c, w: c.page("GET", "/venues/"),
        showing(lambda r, w: w.shop.name in r.content.decode()),
    ),
    "/venues/{id}/": Endpoint(lambda c, w: c.page("GET", f"/venues/{w.shop.pk}/"), people=_nobody),
    "/venues/{id}/scanner/": Endpoint(lambda c, w: c.page("GET", f"/venues/{w.shop.pk}/scanner/")),
    "/venues/{id}/phone/": Endpoint(
        lambda c, w: c.page("GET", f"/venues/{w.shop.pk}/phone/"),
        showing(lambda r, w: b'id="phone-form"' in r.content),
    ),
    "POST /venues/{id}/phone/{check}/": Endpoint(
        lambda c, w: c.page(
            "POST", f"/venues/{w.shop.pk}/phone/{w.phone_check.pk}/", {"code": w.phone_code}
        ),
        people=_person,
    ),
    "/venues/{id}/close/": Endpoint(
        lambda c, w: c.page("GET", f"/venues/{w.shop.pk}/close/"),
        showing(lambda r, w: b'name="confirm"' in r.content),
    ),
    "POST /venues/{id}/staff/": Endpoint(
        lambda c, w: c.page("POST", f"/venues/{w.shop.pk}/staff/", {"login": w.guard.username}),
        _staff_added,
    ),
    "/me/": Endpoint(lambda c, w: c.page("GET", "/me/")),
    "/me/export.xlsx": Endpoint(lambda c, w: c.page("GET", "/me/export.xlsx")),
    "/me/family/{id}/": Endpoint(
        lambda c, w: c.page("GET", f"/me/family/{w.child.pk}/"),
        showing(lambda r, w: w.child.full_name in r.content.decode()),
    ),
    "/me/declarations/{id}/": Endpoint(
        lambda c, w: c.page("GET", f"/me/declarations/{w.person.declarations.get().pk}/")
    ),
    "/p/<payload>": Endpoint(
        lambda c, w: c.page("GET", personal_qr_path(w)),
        showing(lambda r, w: "N*****" in r.content.decode()),
        people=_person,
    ),
    "/stats/checkpoints/?unit=25396": Endpoint(
        lambda c, w: c.page("GET", "/stats/checkpoints/?unit=25396")
    ),
    "/campaigns/": Endpoint(
        lambda c, w: c.page("GET", "/campaigns/"),
        showing(lambda r, w: w.campaign.name in r.content.decode()),
    ),
    "POST /campaigns/new/ (preview)": Endpoint(
        lambda c, w: c.page("POST", "/campaigns/new/", PREVIEW_FORM),
        showing(lambda r, w: b"preview-recipients" in r.content),
        people=_both,
    ),
    "POST /campaigns/new/confirm/": Endpoint(
        lambda c, w: c.page(
            "POST", "/campaigns/new/confirm/", {**PREVIEW_FORM, "client_id": str(uuid.uuid4())}
        ),
    ),
    "/orgs/": Endpoint(
        lambda c, w: c.page("GET", "/orgs/"),
        showing(lambda r, w: w.school.name in r.content.decode()),
    ),
    "/reports/?unit=25396": Endpoint(lambda c, w: c.page("GET", "/reports/?unit=25396")),
    "/proximity/exports/": Endpoint(
        lambda c, w: c.page("GET", "/proximity/exports/"),
        showing(lambda r, w: b'id="export-summary"' in r.content),
    ),
    "/proximity/simulation/": Endpoint(lambda c, w: c.page("GET", "/proximity/simulation/")),
    "/ (people)": Endpoint(lambda c, w: c.page("GET", "/"), showing(_names_someone)),
    "/today/ (people)": Endpoint(lambda c, w: c.page("GET", "/today/"), showing(_names_someone)),
    "/today/ (checkpoints)": Endpoint(
        lambda c, w: c.page("GET", "/today/"),
        showing(lambda r, w: f'data-venue="{w.shop.pk}"' in r.content.decode()),
    ),
    "/units/25396/": Endpoint(lambda c, w: c.page("GET", "/units/25396/")),
    "/admin/checkins/checkin/": Endpoint(
        lambda c, w: c.page("GET", "/admin/checkins/checkin/"), people=_both
    ),
    "POST /api/v1/tickets": Endpoint(
        lambda c, w: c.api(
            "POST",
            "/api/v1/tickets",
            {
                "channel": "call",
                "category": "gathering",
                "commune_code": "25396",
                "description": "Quán karaoke mở cửa",
            },
        ),
        people=_nobody,
    ),
    "GET /api/v1/tickets/{id}": Endpoint(
        lambda c, w: c.api("GET", f"/api/v1/tickets/{w.ticket.pk}"), people=_nobody
    ),
    "POST /api/v1/tickets/{id}/acknowledge": Endpoint(
        lambda c, w: c.api("POST", f"/api/v1/tickets/{w.ticket.pk}/acknowledge"),
        people=_nobody,
    ),
    "POST /api/v1/tickets/{id}/resolve": Endpoint(
        lambda c, w: c.api(
            "POST", f"/api/v1/tickets/{w.ticket.pk}/resolve", {"note": "Đã giải tán"}
        ),
        people=_nobody,
    ),
    "POST /api/v1/tickets/{id}/reassign": Endpoint(
        lambda c, w: c.api(
            "POST", f"/api/v1/tickets/{w.ticket.pk}/reassign", {"agency_id": w.health.pk}
        ),
        people=_nobody,
    ),
    "POST /api/v1/tickets/{id}/reopen": Endpoint(
        lambda c, w: c.api("POST", f"/api/v1/tickets/{w.ticket.pk}/reopen", {"note": "Chưa xong"})
    ),
    "GET /api/v1/stats/hotline": Endpoint(
        lambda c, w: c.api("GET", "/api/v1/stats/hotline?unit=25396")
    ),
    "/hotline/": Endpoint(lambda c, w: c.page("GET", "/hotline/")),
    "/hotline/tickets/{id}/": Endpoint(
        lambda c, w: c.page("GET", f"/hotline/tickets/{w.ticket.pk}/"), people=_nobody
    ),
    "/hotline/board/": Endpoint(
        lambda c, w: c.page("GET", "/hotline/board/"),
        showing(lambda r, w: w.ticket.number in r.content.decode()),
    ),
    "/hotline/inbox/": Endpoint(lambda c, w: c.page("GET", "/hotline/inbox/")),
    "/hotline/stats/?unit=25396": Endpoint(
        lambda c, w: c.page("GET", "/hotline/stats/?unit=25396")
    ),
    "/hotline/rules/": Endpoint(lambda c, w: c.page("GET", "/hotline/rules/")),
    "/hotline/new/": Endpoint(lambda c, w: c.page("GET", "/hotline/new/")),
    "/hotline/stats.xlsx?unit=25396": Endpoint(
        lambda c, w: c.page("GET", "/hotline/stats.xlsx?unit=25396")
    ),
    "GET /open311/v2/requests.json": Endpoint(
        lambda c, w: c.api("GET", "/open311/v2/requests.json"),
        lambda r, w: _public_only(r, w),
    ),
    "/1022/status/?number=": Endpoint(
        lambda c, w: c.page("GET", f"/1022/status/?number={w.ticket.number}"),
        lambda r, w: _public_only(r, w),
    ),
    "GET /open311/v2/requests/{id}.json": Endpoint(
        lambda c, w: c.api("GET", f"/open311/v2/requests/{w.ticket.number}.json"),
        lambda r, w: _public_only(r, w),
    ),
    "/admin/hotline/ticket/": Endpoint(
        lambda c, w: c.page("GET", "/admin/hotline/ticket/"), people=_nobody
    ),
}


def _travelled(w: World) -> Declaration:
    """The person's declaration, made to report travel from an outbreak area (in the role's
    savepoint, rolled back after it)."""
    declaration = Declaration.objects.filter(person=w.person).latest("pk")
    Declaration.objects.filter(pk=declaration.pk).update(travel_outbreak_area=True)
    return declaration


def _enrolled(response, w: World):
    """An enrolment from a page: 302 either way; NONE if the person was not enrolled."""
    got = status(response)
    if got == 302 and not Monitoring.objects.filter(person=w.person).exists():
        return NONE
    return got


def _accepted(response, w: World):
    """A transfer's acceptance from its page: 302 either way; NONE if nothing was accepted."""
    got = status(response)
    done = Transfer.objects.filter(pk=w.transfer.pk, accepted_at__isnull=False).exists()
    if got == 302 and not done:
        return NONE
    return got


def _public_only(response, w: World):
    """The public's answer about a ticket: its number, never the caller's phone or report."""
    body = response.content.decode()
    if response.status_code == 200 and (
        "0912" in body or "+8491277" in body or HOTLINE_REPORT in body
    ):
        return "personal data shown"
    if response.status_code == 200 and w.ticket.number not in body:
        return NONE
    return response.status_code


def test_the_table_is_whole():
    assert set(MATRIX) == set(ENDPOINTS)
    assert all(len(row) == len(ROLES) for row in MATRIX.values())


def _success(answer) -> bool:
    return answer in (200, 201, 302)


def _audit_problem(caller: Caller, endpoint: Endpoint, world: World, before: int) -> str | None:
    """What is wrong with the audit of an official's read that just happened, if anything."""
    rows = list(AuditLog.objects.filter(pk__gt=before, actor=caller.user))
    if not rows:
        return "no audit record"
    people = endpoint.people(world)
    good = [
        row
        for row in rows
        if row.unit_code
        and (row.reason or row.action)
        and people <= set(row.subjects)
        and (row.subjects or not people)
    ]
    if not good:
        seen = [(r.action, r.subject, r.subjects, r.unit_code, r.reason) for r in rows]
        return f"audit records {seen} lack people {sorted(people)}, the unit or a reason"
    return None


@pytest.mark.parametrize("name", list(MATRIX))
def test_permission_matrix(name, world):
    endpoint = ENDPOINTS[name]
    wrong = []
    for role, expected in zip(ROLES, MATRIX[name], strict=True):
        before = AuditLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        with transaction.atomic():
            caller = Caller(role, world)
            response = endpoint.ask(caller, world)
            got = endpoint.answer(response, world)
            if got != expected:
                wrong.append(f"{role}: expected {expected}, got {got}")
            elif role in OFFICIALS and endpoint.people and _success(got):
                problem = _audit_problem(caller, endpoint, world, before)
                if problem:
                    wrong.append(f"{role}: {problem}")
            transaction.set_rollback(True)
        cache.clear()
    assert not wrong, f"{name}:\n  " + "\n  ".join(wrong)
