"""The protocol against the test vectors published with the specification.

The vectors are Google's `TestVectors` of the Exposure Notification reference
(google/exposure-notifications-internals, as carried in microG's
play-services-nearby/core/src/test/.../TestVectors.java, "From TestVectors.h.txt"): one TEK
generated at 2020-04-02 00:00 UTC (interval 2642976), its RPIK and AEMK, the metadata
40 08 00 00 (version 1.0, +8 dBm) and the RPI and AEM of each of its 144 intervals; a
selection of those is checked here byte for byte, including the first and the last interval.
"""

import datetime as dt
import hmac

import pytest

from kiemdich.proximity import protocol as p

TEK = bytes.fromhex("75c734c6dd1a782de7a965da5eb93125")
KEY_GENERATION_SECONDS = 1585785600
INTERVAL = 2642976
RPIK = bytes.fromhex("185ad91db69ec7dd048960f1f3ba6175")
AEMK = bytes.fromhex("d57c46af7a1d83965b9bed8bd152936a")
METADATA = bytes.fromhex("40080000")
#: index in the day -> (RPI, AEM)
VECTORS = {
    0: ("8be6cd371c5c891604bfbe49df845096", "72033874"),
    1: ("3c9a1de5dd6b02afa7fded7b570b3e56", "c29211b1"),
    2: ("243ffe9a3b08bded3094bac8630bb8ad", "6adfad03"),
    3: ("dfc3ed265e97d0eabb630e168b4214ed", "f1e2f80b"),
    9: ("b8cde28ad20d1cd2fdd7369dc0c6f7c8", "1f8d53de"),
    10: ("f60123c67bd2fc4b62002b4b7d595ba6", "e0a7f9f2"),
    45: ("e6075c28939fb0c67246ce38c5ff938a", None),
    141: ("86f8ddc0c93e53e3a582e61f01f7df2f", "711dbf6d"),
    142: ("a65ef7ba9752c4173ba48a33849c5e52", "592dbca8"),
    143: ("f431b62ecf443102ce4ed0407de54bd4", "1215e57e"),
}


def test_interval_number_of_the_vectors_key():
    assert p.interval_number(KEY_GENERATION_SECONDS) == INTERVAL
    when = dt.datetime(2020, 4, 2, tzinfo=dt.UTC)
    assert p.interval_number(when) == INTERVAL
    assert p.rolling_start(INTERVAL + 143) == INTERVAL
    assert p.rolling_start(INTERVAL + 144) == INTERVAL + 144
    assert p.interval_start(INTERVAL) == when


def test_naive_datetime_is_refused():
    with pytest.raises(p.ProtocolError):
        p.interval_number(dt.datetime(2020, 4, 2))


def test_rpik_and_aemk_match_the_vectors():
    assert p.rpik(TEK) == RPIK
    assert p.aemk(TEK) == AEMK
    assert p.rpik_fast(TEK) == RPIK


def test_fast_rpik_is_hkdf_for_other_keys_too():
    for i in range(50):
        tek = hmac.digest(b"seed", bytes([i]), "sha256")[:16]
        assert p.rpik_fast(tek) == p.rpik(tek)


def test_rpis_and_aems_match_the_vectors_byte_for_byte():
    day = p.rpis(RPIK, INTERVAL, 144)
    assert len(day) == 144 * 16
    for i, (rpi_hex, aem_hex) in VECTORS.items():
        rpi = bytes.fromhex(rpi_hex)
        assert day[i * 16 : (i + 1) * 16] == rpi, i
        assert p.rpi(RPIK, INTERVAL + i) == rpi
        if aem_hex:
            assert p.aem(AEMK, rpi, METADATA) == bytes.fromhex(aem_hex), i
            assert p.decrypt_aem(AEMK, rpi, bytes.fromhex(aem_hex)) == METADATA


def test_advertisements_and_key_object():
    key = p.TemporaryExposureKey(TEK, INTERVAL)
    last = key.advertisement(INTERVAL + 143, METADATA)
    assert last.rpi.hex() == VECTORS[143][0] and last.aem.hex() == VECTORS[143][1]
    with pytest.raises(p.ProtocolError):
        key.advertisement(INTERVAL + 144, METADATA)
    with pytest.raises(p.ProtocolError):
        key.advertisement(INTERVAL - 1, METADATA)
    ads = p.advertisements(TEK, INTERVAL, 3, METADATA)
    assert [a.interval for a in ads] == [INTERVAL, INTERVAL + 1, INTERVAL + 2]
    assert ads[2].aem.hex() == VECTORS[2][1]


def test_metadata_carries_version_and_signed_tx_power():
    assert p.metadata(8) == METADATA
    assert p.tx_power(METADATA) == 8
    assert p.tx_power(p.metadata(-12)) == -12
    with pytest.raises(p.ProtocolError):
        p.metadata(200)


def test_bad_lengths_are_refused():
    with pytest.raises(p.ProtocolError):
        p.rpik(TEK[:15])
    with pytest.raises(p.ProtocolError):
        p.TemporaryExposureKey(TEK, INTERVAL, rolling_period=145)
    with pytest.raises(p.ProtocolError):
        p.padded_data(2**32)


def test_new_keys_are_random_and_independent():
    keys = {p.new_tek() for _ in range(100)}
    assert len(keys) == 100 and all(len(k) == 16 for k in keys)
    generated = p.TemporaryExposureKey.generate(KEY_GENERATION_SECONDS + 3600)
    assert generated.rolling_start == INTERVAL
