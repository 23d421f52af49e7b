"""Encounter log expiry, risk thresholds and matching of planted sightings (no database)."""

import os
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from kiemdich.proximity import protocol as p
from kiemdich.proximity.encounters import DAY_SECONDS, EncounterLog, RiskConfig, risk
from kiemdich.proximity.matching import DiagnosisKey, match, match_many

START = 2642976
T0 = START * p.INTERVAL_SECONDS


def test_log_drops_sightings_older_than_14_days():
    log = EncounterLog()
    log.add(os.urandom(16), os.urandom(4), T0, -60)
    log.add(os.urandom(16), os.urandom(4), T0 + 15 * DAY_SECONDS, -60)
    assert log.expire(T0 + 15 * DAY_SECONDS) == 1
    assert len(log) == 1 and log.identifiers == 1


def test_risk_needs_15_close_minutes_and_counts_medium_half():
    close = [(T0 + i * 300, 50) for i in range(3)]
    assert risk(close).at_risk and risk(close).minutes[0] == 15
    assert not risk(close[:2]).at_risk
    assert not risk([(T0 + i * 300, 60) for i in range(3)]).at_risk
    assert risk([(T0 + i * 300, 60) for i in range(6)]).at_risk
    assert not risk([(T0 + i * 300, 70) for i in range(20)]).at_risk
    assert risk([(T0 + i * 300, 60) for i in range(3)], RiskConfig(thresholds_db=(65, 70))).at_risk


def test_matching_finds_exactly_the_planted_sightings_at_the_edges():
    tek = p.new_tek()
    log = EncounterLog()
    for _ in range(2000):
        log.add(os.urandom(16), os.urandom(4), T0 + 3600, -60)
    planted = []
    for i in (0, 1, 2, 143):
        ad = p.advertisements(tek, START + i, 1, p.metadata(-10))[0]
        planted.append(log.add(ad.rpi, ad.aem, (START + i) * p.INTERVAL_SECONDS + 30, -65))
    keys = [DiagnosisKey(os.urandom(16), START) for _ in range(100)]
    keys.append(DiagnosisKey(tek, START))
    found = match(keys, log)
    assert len(found) == 1 and found[0].key.key == tek
    assert [c.sighting for c in found[0].contacts] == planted
    assert {c.attenuation for c in found[0].contacts} == {55}
    # a shorter rolling period leaves out the last interval's sighting
    short = match([DiagnosisKey(tek, START, rolling_period=143)], log)
    assert [c.sighting for c in short[0].contacts] == planted[:3]


def _reference(keys, log, tolerance=12):
    """Matching spelled out from the specification: every RPI of every key, one at a time."""
    found = []
    for key in keys:
        rpik, aemk = p.rpik(key.key), p.aemk(key.key)
        contacts = []
        for i in range(key.rolling_period):
            interval = key.rolling_start + i
            rpi = p.rpis(rpik, interval, 1)
            for s in log.sightings_of(rpi):
                if abs(s.interval - interval) <= tolerance:
                    power = p.tx_power(p.decrypt_aem(aemk, rpi, s.aem))
                    contacts.append((s, interval, power - s.rssi))
        if contacts:
            contacts.sort(key=lambda c: c[0].time)
            found.append((key.key, contacts))
    return found


def _summary(exposures):
    return [
        (e.key.key, [(c.sighting, c.interval, c.attenuation) for c in e.contacts])
        for e in exposures
    ]


def _heard_log(rng, teks, noise):
    """A log of `noise` random identifiers and some broadcasts of `teks`, heard at random times
    (some outside the 2-hour tolerance of the interval they were broadcast in)."""
    log = EncounterLog()
    for _ in range(noise):
        log.add(rng.randbytes(16), rng.randbytes(4), T0 + rng.randrange(DAY_SECONDS), -60)
    for tek, start in teks:
        for _ in range(rng.randrange(4)):
            interval = start + rng.randrange(144)
            ad = p.advertisements(tek, interval, 1, p.metadata(rng.randrange(-20, 10)))[0]
            drift = rng.choice((0, 30, 7000, 8000))
            log.add(ad.rpi, ad.aem, interval * p.INTERVAL_SECONDS + drift, rng.randrange(-99, -30))
    return log


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32), periods=st.lists(st.integers(1, 144), min_size=1, max_size=40))
def test_fast_matching_finds_what_the_specification_spelled_out_finds(seed, periods):
    rng = random.Random(seed)
    keys = [
        DiagnosisKey(rng.randbytes(16), START + 144 * rng.randrange(3), period)
        for period in periods
    ]
    log = _heard_log(rng, [(k.key, k.rolling_start) for k in keys if rng.random() < 0.6], 300)
    assert _summary(match(keys, log)) == _reference(keys, log)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32), phones=st.integers(2, 6))
def test_many_logs_at_once_give_each_phone_what_it_finds_alone(seed, phones):
    rng = random.Random(seed)
    keys = [DiagnosisKey(rng.randbytes(16), START + 144 * rng.randrange(2)) for _ in range(30)]
    heard = [(k.key, k.rolling_start) for k in keys]
    logs = [_heard_log(rng, rng.sample(heard, 8), 50) for _ in range(phones)]
    together = match_many(keys, logs)
    assert [_summary(x) for x in together] == [_summary(match(keys, log)) for log in logs]
    assert any(together)
