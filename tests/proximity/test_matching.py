"""Encounter log expiry, risk thresholds and matching of planted sightings (no database)."""

import os

from kiemdich.proximity import protocol as p
from kiemdich.proximity.encounters import DAY_SECONDS, EncounterLog, RiskConfig, risk
from kiemdich.proximity.matching import DiagnosisKey, match

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
