"""GAEN export files: writing one file of 100,000 diagnosis keys (issue 16: under 5 s).

What is timed is `kiemdich.proximity.exportfile.write_export`, the whole of what the key
server does per file once it has the keys in memory: checking and sorting the keys, building
the protobuf messages, serializing, signing export.bin (ECDSA P-256) and zipping both members.
The keys are made first (random 16 bytes, daily rolling starts over 14 days, risk 0-8, onset
-14..14 or none), as the server's query would hand them over.

The baseline, on the same keys in the same run: the bare protobuf work, the messages built
and `SerializeToString()` called, unsorted, unsigned, unzipped; what no export can avoid.
A check reads the file back and verifies it with the public key: a fast file that a phone
would refuse is no figure.

No database: `python -m bench.exports [KEYS]` runs it alone and prints its lines.

In `python -m bench` (with its database) the key server's whole hour is timed as well:
`proximity.publishing.publish` publishing one hour of 100,000 DiagnosisKey rows (the query,
the file, written to disk and renamed into place, its row, the index), against the in-memory
file of the same keys measured in the same run.
"""

from __future__ import annotations

import secrets
import sys
import time
from typing import TYPE_CHECKING

from .common import Figure, Options, log, median, p90

if TYPE_CHECKING:
    from kiemdich.proximity.exportfile import ExportKey

    from .data import Dataset

KEYS = 100_000
RUNS = 5
WARMUP = 1
TARGET_S = 5.0
#: 2021-08-20 09:00 UTC: an hour of the Delta wave in the south.
START = 1_629_450_000
END = START + 3600


def make_keys(count: int) -> list[ExportKey]:
    """`count` distinct, valid keys shaped like a day's uploads over 14 days."""
    from kiemdich.proximity.exportfile import ExportKey

    today = END // 600 // 144 * 144
    keys = []
    for i in range(count):
        onset = secrets.randbelow(29) - 14
        keys.append(
            ExportKey(
                key_data=secrets.token_bytes(16),
                rolling_start_interval_number=today - 144 * (1 + i % 14),
                transmission_risk_level=secrets.randbelow(9),
                days_since_onset_of_symptoms=onset if i % 5 else None,
            )
        )
    return keys


def bare_protobuf(keys: list[ExportKey]) -> float:
    """Seconds to build the messages and serialize them, nothing else: the baseline."""
    from kiemdich.proximity.exportfile import TemporaryExposureKeyExport, add_keys

    start = time.perf_counter()
    export = TemporaryExposureKeyExport(
        start_timestamp=START, end_timestamp=END, region="452", batch_num=1, batch_size=1
    )
    add_keys(export.keys, keys)
    export.SerializeToString()
    return time.perf_counter() - start


def measure(count: int = KEYS) -> list[Figure]:
    from kiemdich.proximity.exportfile import (
        ExportSigner,
        read_export,
        verify_export,
        write_export,
    )

    keys = make_keys(count)
    signer = ExportSigner.generate("452", "v1")
    data = b""
    samples = []
    for run in range(WARMUP + RUNS):
        start = time.perf_counter()
        data = write_export(keys, start=START, end=END, region="452", signer=signer)
        if run >= WARMUP:
            samples.append(time.perf_counter() - start)
    baseline = [bare_protobuf(keys) for _ in range(RUNS)]
    export, _ = read_export(data)
    written = [k.key_data for k in export.keys]
    ok = (
        verify_export(data, signer.public_key_pem())
        and written == sorted(k.key_data for k in keys)
        and len(written) == count
    )
    seconds = median(samples)
    log(
        f"  export of {count:,} keys: {seconds:.2f} s median ({count / seconds:,.0f} keys/s), "
        f"file {len(data) / 2**20:.1f} MB; bare protobuf {median(baseline):.2f} s"
    )
    return [
        Figure(
            name=f"export file of {count:,} keys (sort, protobuf, sign, zip)",
            unit="s",
            median=seconds,
            p90=p90(samples),
            baseline=median(baseline),
            baseline_label="bare protobuf serialize",
            target=TARGET_S,
        ),
        Figure.check(
            "export reads back sorted and verifies", ok, against="the keys written, public key"
        ),
    ]


def measure_server(count: int = KEYS) -> list[Figure]:
    """One hour of `count` stored keys published by the server, from the database to disk."""
    import datetime as dt
    import tempfile

    from django.conf import settings

    from kiemdich.proximity import keystore, publishing
    from kiemdich.proximity.exportfile import ExportKey, read_export, write_export
    from kiemdich.proximity.models import DiagnosisKey, ExportFile, ExportRun, SigningKey

    now = dt.datetime.now(dt.UTC)
    hour = keystore.arrival_hour(now) - 2 * publishing.HOUR
    day = keystore.cutoff_interval(now) // 144 * 144 + 144 * 14
    keys = [
        ExportKey(
            key_data=k.key_data,
            rolling_start_interval_number=day - 144 * (1 + i % 13),
            transmission_risk_level=k.transmission_risk_level,
            days_since_onset_of_symptoms=k.days_since_onset_of_symptoms,
        )
        for i, k in enumerate(make_keys(count))
    ]
    DiagnosisKey.objects.all().delete()
    for start in range(0, count, 20_000):
        keystore.add_keys(keys[start : start + 20_000], hour)
    samples, baseline = [], []
    with tempfile.TemporaryDirectory() as folder:
        kept = settings.DATA_DIR
        settings.DATA_DIR = folder
        try:
            for _ in range(WARMUP + RUNS):
                ExportFile.objects.all().delete()
                started = time.perf_counter()
                report = publishing.publish(now)
                samples.append(time.perf_counter() - started)
            samples = samples[WARMUP:]
            name = publishing.file_name(hour, hour + publishing.HOUR)
            data = (publishing.export_dir() / name).read_bytes()
            key = SigningKey.objects.order_by("-version").first()
            signer = publishing.signing.signer(key)
            for _ in range(RUNS):
                started = time.perf_counter()
                write_export(
                    keys, start=hour, end=hour + publishing.HOUR, region="452", signer=signer
                )
                baseline.append(time.perf_counter() - started)
        finally:
            settings.DATA_DIR = kept
    export, _ = read_export(data)
    ok = name in report.files_written and sorted(k.key_data for k in export.keys) == sorted(
        k.key_data for k in keys
    )
    DiagnosisKey.objects.all().delete()
    ExportFile.objects.all().delete()
    ExportRun.objects.all().delete()
    seconds = median(samples)
    memory = median(baseline)
    log(f"  server hour of {count:,} keys: {seconds:.2f} s median; in memory {memory:.2f} s")
    return [
        Figure(
            name=f"server publishes an hour of {count:,} stored keys (query, file, disk, index)",
            unit="s",
            median=seconds,
            p90=p90(samples),
            baseline=memory,
            baseline_label="the same file in memory",
            target=TARGET_S,
        ),
        Figure.check(
            "published hour holds exactly the stored keys", ok, against="the DiagnosisKey rows"
        ),
    ]


def run(dataset: Dataset, options: Options) -> list[Figure]:
    """The benchmark as `python -m bench` calls it: the file in memory, then the server's hour."""
    return measure() + measure_server()


def main(argv: list[str]) -> int:
    from .summary import text_table

    figures = measure(int(argv[0]) if argv else KEYS)
    print(text_table(figures), end="")
    return 0 if all(f.passed or not f.is_check for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
