"""A synthetic district that shows how many close contacts Bluetooth and QR scans find (no DB).

`kiemdich proximity simulate` runs it; the officials' page shows its chart. It is how an
official sees why the 60 % install target matters: Bluetooth finds a contact only when *both*
phones run the app, so its coverage grows with the square of the install rate.

**The district.** `people` people live in households of 1-6; about half work (in workplaces
of 2-40, in rooms of up to 6 people who sit near each other), a fifth go to school (classes
of 30, each pupil near about 10 classmates), the rest stay home; every household shops at one
of the markets (one per 2,000 people), a person on a given day with a chance of 35 %; a quarter
of the workers and pupils ride one of the bus routes (one per 1,500 people) at one of 6
departures, both ways, six days a week (no work or school on the 7th).

**Encounters.** Only the encounters of the infected matter (the question is how many of *their*
close contacts are found), so only those are made: each is an episode of a pair of people at a
place, a start, a duration and a distance (home: dinner at about 1 m and an evening at about
2.5 m; rooms, classes and buses at about 2.5 m, log-normally spread; market stalls at about
1.5 m for 3-25 minutes). **Ground truth**: a close contact is a pair within 2 m
(`CLOSE_METERS`) for at least 15 minutes (`CLOSE_MINUTES`) in a day.

**Bluetooth.** A share of people (the adoption) run the app, drawn once per person so that a
higher adoption keeps every install of a lower one (the curves are not noise). Each phone scans
every 5 minutes; a scan hears the other phone's current Rolling Proximity Identifier with a
received signal of `tx_power - path loss`, the path loss `PATH_LOSS_1M_DB + 10 n log10(d)` plus
log-normal shadowing (a normal spread in dB: one draw per episode for bodies, pockets and
bags, one per scan for the room), and a scan is lost with a chance of 5 %. iPhones (30 %) run
the app in the background on some days (half of them), and a backgrounded iPhone neither
advertises nor scans reliably: a scan involving one succeeds with a chance of 15 %.

**What runs is the real code.** Each confirmed case's phone has a fresh Temporary Exposure Key
a day and broadcasts the RPIs and AEMs of `protocol`; the other phones log what they heard in
an `encounters.EncounterLog`; at the end the cases who run the app and consent (90 %) upload
their keys; the key server writes one export file (`exportfile.pad_with_decoys`,
`write_export` signed by an `ExportSigner`); the phones download it, check it
(`read_export`, `verify_export` with the published public key) and match it
(`matching.match_many`: each key's RPIs derived once for all phones); a contact is found by
Bluetooth when its phone gets an exposure `at_risk` for that case's key of that day.

**QR scans.** At workplaces, schools, markets and on buses people scan the venue's poster with
some compliance (60 %, 40 %, 50 %, 30 % of a person's days there), with any phone: scanning
does not need the Bluetooth app, so the QR line stays flat as adoption grows. Homes have no
poster. A contact is found by QR when both people scanned the same venue that day (what the
tracing module's F1 search finds).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TextIO

import numpy as np

from kiemdich.tabular import write_csv

from . import exportfile, protocol
from .encounters import EncounterLog, RiskConfig
from .matching import DiagnosisKey, match_many

CLOSE_METERS = 2.0
CLOSE_MINUTES = 15
SCAN_MINUTES = 5
PATH_LOSS_1M_DB = 48.0
PATH_LOSS_EXPONENT = 3.0
#: 2021-08-02 00:00 UTC, a Monday: day 0 of the simulation.
FIRST_DAY = dt.datetime(2021, 8, 2, tzinfo=dt.UTC)
SWEEP = tuple(round(0.1 * i, 1) for i in range(1, 10))

HOME, WORK, SCHOOL, MARKET, BUS = range(5)
PLACES = ("home", "work", "school", "market", "bus")
#: Share of a person's days at a venue of each kind on which they scan its poster.
QR_COMPLIANCE = (0.0, 0.6, 0.4, 0.5, 0.3)
#: What the CSV holds per adoption level, in order.
COLUMNS = (
    "adoption",
    "true_contacts",
    "bluetooth",
    "qr",
    "both",
    "either",
    "bluetooth_false_alarms",
)


@dataclass(frozen=True)
class Scenario:
    """The district and the behaviour of its phones; every number documented above."""

    people: int = 100_000
    days: int = 14
    seed: int = 0
    #: Share of the people infected (seeded) during the period, confirmed at its end.
    case_share: float = 0.005
    iphone_share: float = 0.3
    iphone_background_share: float = 0.5
    background_scan_success: float = 0.15
    scan_loss: float = 0.05
    upload_share: float = 0.9
    shadowing_episode_db: float = 4.0
    shadowing_scan_db: float = 4.0

    def __post_init__(self) -> None:
        if self.people < 10:
            raise ValueError("a district has at least 10 people")
        if not 1 <= self.days <= 14:
            raise ValueError("the simulation covers 1 to 14 days (the keys' lifetime)")


@dataclass(frozen=True)
class Point:
    """The outcome at one adoption level: counts of true close contacts (pair and day)."""

    adoption: float
    true_contacts: int
    bluetooth: int
    qr: int
    both: int
    either: int
    bluetooth_false_alarms: int

    def share(self, column: str) -> float:
        return getattr(self, column) / self.true_contacts if self.true_contacts else 0.0


@dataclass(frozen=True)
class Result:
    scenario: Scenario
    points: list[Point]
    ran_at: dt.datetime
    seconds: float
    cases: int
    export_keys: dict[float, int] = field(default_factory=dict)


@dataclass
class _District:
    household: np.ndarray
    room: np.ndarray  # workplace room or class, -1 for none
    role: np.ndarray  # HOME, WORK or SCHOOL: where the day is spent
    market: np.ndarray
    route: np.ndarray  # bus route, -1 for none
    departure: np.ndarray


def _groups(rng: np.random.Generator, members: np.ndarray, sizes: Callable[[int], np.ndarray]):
    """A group id for each of `members` (in their order): shuffled, cut in groups of drawn sizes."""
    out = np.empty(len(members), dtype=np.int64)
    if not len(members):
        return out
    drawn = sizes(len(members))
    bounds = np.cumsum(drawn)
    bounds = bounds[bounds < len(members)]
    ids = np.zeros(len(members), dtype=np.int64)
    ids[bounds] = 1
    out[rng.permutation(len(members))] = np.cumsum(ids)
    return out


def _district(s: Scenario, rng: np.random.Generator) -> _District:
    n = s.people
    household = _groups(
        rng,
        np.arange(n),
        lambda k: rng.choice([1, 2, 3, 4, 5, 6], size=k, p=[0.1, 0.2, 0.25, 0.25, 0.12, 0.08]),
    )
    u = rng.random(n)
    role = np.where(u < 0.5, WORK, np.where(u < 0.7, SCHOOL, HOME))
    room = np.full(n, -1, dtype=np.int64)
    workers = np.flatnonzero(role == WORK)
    room[workers] = _groups(rng, workers, lambda k: rng.integers(2, 7, size=k))
    pupils = np.flatnonzero(role == SCHOOL)
    room[pupils] = _groups(rng, pupils, lambda k: np.full(k, 30)) + room.max() + 1
    markets = max(1, n // 2000)
    market = rng.integers(0, markets, size=household.max() + 1)[household]
    routes = max(1, n // 1500)
    rides = (role != HOME) & (rng.random(n) < 0.25)
    route = np.where(rides, rng.integers(0, routes, size=n), -1)
    departure = rng.integers(0, 6, size=n)
    return _District(household, room, role, market, route, departure)


@dataclass
class _Episodes:
    """The encounters of the infected, one row per (case, other, place, start, duration, metres)."""

    case: np.ndarray  # index into the cases
    other: np.ndarray  # person
    day: np.ndarray
    place: np.ndarray
    start: np.ndarray  # minutes after the day's midnight
    minutes: np.ndarray
    metres: np.ndarray


def _by(values: np.ndarray) -> dict[int, np.ndarray]:
    """Members of each value (e.g. each household's people)."""
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    cuts = np.flatnonzero(np.diff(sorted_values)) + 1
    return {
        int(sorted_values[group[0]]): order[group]
        for group in np.split(np.arange(len(values)), cuts)
        if len(group)
    }


def _episodes(s: Scenario, d: _District, cases: np.ndarray, rng: np.random.Generator):
    rows: list[tuple[int, int, int, int, int, int, float]] = []
    homes = _by(d.household)
    rooms = _by(np.where(d.room >= 0, d.room, -1))
    shoppers = _by(d.market)
    buses = _by(np.where(d.route >= 0, d.route * 6 + d.departure, -1))

    def lognormal(median: float, k: int) -> np.ndarray:
        return median * np.exp(rng.normal(0, 0.5, size=k))

    for c, person in enumerate(cases.tolist()):
        mates = homes[int(d.household[person])]
        mates = mates[mates != person]
        room = int(d.room[person])
        colleagues = rooms[room][rooms[room] != person] if room >= 0 else np.empty(0, int)
        if d.role[person] == SCHOOL and len(colleagues) > 10:
            colleagues = rng.choice(colleagues, 10, replace=False)
        bus_key = int(d.route[person] * 6 + d.departure[person]) if d.route[person] >= 0 else -1
        riders = buses.get(bus_key, np.empty(0, int)) if bus_key >= 0 else np.empty(0, int)
        riders = riders[riders != person]
        if len(riders) > 20:
            riders = rng.choice(riders, 20, replace=False)
        market_people = shoppers[int(d.market[person])]
        for day in range(s.days):
            weekday = day % 7 != 6
            for other, metres in zip(mates, lognormal(1.0, len(mates)), strict=True):
                rows.append((c, other, day, HOME, 18 * 60 + 30, 40, metres))
            for other, metres in zip(mates, lognormal(2.5, len(mates)), strict=True):
                rows.append((c, other, day, HOME, 20 * 60, 120, metres))
            if weekday and len(colleagues):
                place = int(d.role[person])
                length = 240 if place == WORK else 300
                for other, metres in zip(colleagues, lognormal(2.5, len(colleagues)), strict=True):
                    rows.append((c, other, day, place, 8 * 60, length, metres))
            if weekday and len(riders):
                for start in (6 * 60 + 15 * int(d.departure[person]), 17 * 60):
                    spread = rng.uniform(0.5, 5.0, size=len(riders))
                    for other, metres in zip(riders, spread, strict=True):
                        rows.append((c, other, day, BUS, start, 30, metres))
            if rng.random() < 0.35 and len(market_people) > 1:
                met = rng.choice(market_people, min(len(market_people), rng.poisson(6)))
                start = int(rng.integers(6 * 60, 10 * 60))
                for other, length, metres in zip(
                    met, rng.integers(3, 26, size=len(met)), lognormal(1.5, len(met)), strict=True
                ):
                    if other != person:
                        rows.append((c, other, day, MARKET, start, int(length), metres))
    table = np.array(rows, dtype=np.float64).reshape(-1, 7)
    ints = table[:, :6].astype(np.int64)
    return _Episodes(*(ints[:, i] for i in range(6)), metres=table[:, 6])


def _pair_ids(s: Scenario, case: np.ndarray, other: np.ndarray, day: np.ndarray) -> np.ndarray:
    """One integer per (case, other person, day): the unit the shares count."""
    return (case * s.people + other) * s.days + day


class _Phones:
    """The confirmed cases' phones: a key a day and its broadcasts, made once for every level."""

    def __init__(self, s: Scenario, cases: np.ndarray, rng: np.random.Generator) -> None:
        first = protocol.interval_number(FIRST_DAY)
        self.keys = [
            [
                protocol.TemporaryExposureKey(rng.bytes(16), first + day * 144)
                for day in range(s.days)
            ]
            for _ in cases
        ]
        self._rpis: dict[tuple[int, int], bytes] = {}
        self._aems: dict[tuple[int, int, int], bytes] = {}
        self._aemks: dict[tuple[int, int], bytes] = {}

    def broadcast(self, case: int, day: int, index: int, tx_power: int) -> tuple[bytes, bytes]:
        """The RPI and AEM case's phone sends in interval `index` of `day`."""
        tek = self.keys[case][day]
        rpis = self._rpis.get((case, day))
        if rpis is None:
            rpis = protocol.rpis(protocol.rpik(tek.key), tek.rolling_start)
            self._rpis[(case, day)] = rpis
        rpi = rpis[index * 16 : index * 16 + 16]
        aem = self._aems.get((case, day, index))
        if aem is None:
            aemk = self._aemks.get((case, day))
            if aemk is None:
                aemk = self._aemks[(case, day)] = protocol.aemk(tek.key)
            aem = self._aems[(case, day, index)] = protocol.aem(
                aemk, rpi, protocol.metadata(tx_power)
            )
        return rpi, aem


def _tx_power(iphone: np.ndarray) -> np.ndarray:
    """The calibrated transmit power phones put in their metadata (dBm)."""
    return np.where(iphone, -7, -15)


def _bluetooth(
    s: Scenario,
    adoption: float,
    e: _Episodes,
    cases: np.ndarray,
    draws: dict[str, np.ndarray],
    phones: _Phones,
    rng: np.random.Generator,
) -> tuple[np.ndarray, int]:
    """Pair ids the phones were warned about at `adoption`, and how many keys were published."""
    app = draws["app"] < adoption
    uploads = app[cases] & (draws["upload"] < s.upload_share)
    case_person = cases[e.case]
    heard = uploads[e.case] & app[e.other]
    idx = np.flatnonzero(heard)
    scans = np.ceil(e.minutes[idx] / SCAN_MINUTES).astype(np.int64)
    row = np.repeat(idx, scans)
    offsets = np.arange(len(row)) - np.repeat(np.cumsum(scans) - scans, scans)
    phase = np.repeat(rng.uniform(0, SCAN_MINUTES, size=len(idx)), scans)
    minute = e.start[row] + phase + offsets * SCAN_MINUTES
    iphone = draws["iphone"]
    background = iphone[:, None] & (draws["background"] < s.iphone_background_share)
    success = np.where(background[case_person[row], e.day[row]], s.background_scan_success, 1.0)
    success *= np.where(background[e.other[row], e.day[row]], s.background_scan_success, 1.0)
    success *= 1 - s.scan_loss
    kept = rng.random(len(row)) < success
    row, minute = row[kept], minute[kept]
    episode_shadow = rng.normal(0, s.shadowing_episode_db, size=len(e.case))
    loss = (
        PATH_LOSS_1M_DB
        + 10 * PATH_LOSS_EXPONENT * np.log10(np.maximum(e.metres[row], 0.3))
        + episode_shadow[row]
        + rng.normal(0, s.shadowing_scan_db, size=len(row))
    )
    power = _tx_power(iphone)[case_person[row]]
    rssi = np.round(power - loss).astype(np.int64)
    seconds = (e.day[row] * 86_400 + minute * 60).astype(np.int64)
    day_start = int(FIRST_DAY.timestamp())
    logs: dict[int, EncounterLog] = {}
    for r, second, signal, tx in zip(
        row.tolist(), seconds.tolist(), rssi.tolist(), power.tolist(), strict=True
    ):
        case, day = int(e.case[r]), int(e.day[r])
        index = min(second // protocol.INTERVAL_SECONDS - day * 144, 143)
        rpi, aem = phones.broadcast(case, day, index, tx)
        other = int(e.other[r])
        encounter_log = logs.get(other)
        if encounter_log is None:
            encounter_log = logs[other] = EncounterLog()
        encounter_log.add(rpi, aem, day_start + second, signal)
    keys, owners = _published(s, phones, np.flatnonzero(uploads))
    people = list(logs)
    warned = []
    for person, exposures in zip(
        people, match_many(keys, [logs[p] for p in people], RiskConfig()), strict=True
    ):
        for exposure in exposures:
            owner = owners.get(exposure.key.key)
            if owner is not None and exposure.risk.at_risk:
                warned.append((owner[0], person, owner[1]))
    if not warned:
        return np.empty(0, dtype=np.int64), len(keys)
    w = np.array(warned, dtype=np.int64)
    return np.unique(_pair_ids(s, w[:, 0], w[:, 1], w[:, 2])), len(keys)


def _published(
    s: Scenario, phones: _Phones, uploaders: np.ndarray
) -> tuple[list[DiagnosisKey], dict[bytes, tuple[int, int]]]:
    """The key server's file of the uploaded keys, as a phone downloads, checks and reads it."""
    owners: dict[bytes, tuple[int, int]] = {}
    uploaded = []
    for case in uploaders.tolist():
        for day, tek in enumerate(phones.keys[case]):
            owners[tek.key] = (case, day)
            uploaded.append(exportfile.ExportKey(tek.key, tek.rolling_start))
    end = FIRST_DAY + dt.timedelta(days=s.days)
    signer = exportfile.ExportSigner.generate("452", "v1")
    data = exportfile.write_export(
        exportfile.pad_with_decoys(uploaded, window_end=end),
        start=end - dt.timedelta(hours=1),
        end=end,
        region="452",
        signer=signer,
    )
    if not exportfile.verify_export(data, signer.public_key_pem()):
        raise RuntimeError("the export file the server wrote does not verify")
    export, _ = exportfile.read_export(data)
    keys = [
        DiagnosisKey(
            k.key_data, k.rolling_start_interval_number, k.rolling_period, k.transmission_risk_level
        )
        for k in export.keys
    ]
    return keys, owners


def _qr(s: Scenario, e: _Episodes, cases: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Pair ids both of whom scanned the poster of the venue they met at that day."""
    compliance = np.array(QR_COMPLIANCE)[e.place]
    scanned = rng.random((s.people, s.days, len(PLACES))) < np.array(QR_COMPLIANCE)
    both = scanned[cases[e.case], e.day, e.place] & scanned[e.other, e.day, e.place]
    both &= compliance > 0
    return np.unique(_pair_ids(s, e.case[both], e.other[both], e.day[both]))


def _true_contacts(s: Scenario, e: _Episodes) -> np.ndarray:
    close = e.metres <= CLOSE_METERS
    ids = _pair_ids(s, e.case[close], e.other[close], e.day[close])
    unique, inverse = np.unique(ids, return_inverse=True)
    minutes = np.bincount(inverse, weights=e.minutes[close], minlength=len(unique))
    return unique[minutes >= CLOSE_MINUTES]


def _count(ids: np.ndarray, within: np.ndarray) -> int:
    return int(np.isin(ids, within, assume_unique=True).sum())


def simulate(
    scenario: Scenario,
    adoptions: Sequence[float] = SWEEP,
    *,
    progress: Callable[[Iterable], Iterable] | None = None,
) -> Result:
    """Run the district at each adoption level (0 < level <= 1); `progress` wraps the steps."""
    import time

    if not adoptions or any(not 0 < a <= 1 for a in adoptions):
        raise ValueError("adoption levels are above 0 and at most 1")
    started = time.perf_counter()
    s = scenario
    rng = np.random.default_rng(s.seed)
    district = _district(s, rng)
    count = max(1, round(s.people * s.case_share))
    cases = np.sort(rng.choice(s.people, size=count, replace=False))
    episodes = _episodes(s, district, cases, rng)
    draws = {
        "app": rng.random(s.people),
        "upload": rng.random(count),
        "iphone": rng.random(s.people) < s.iphone_share,
        "background": rng.random((s.people, s.days)),
    }
    truth = _true_contacts(s, episodes)
    qr = np.intersect1d(_qr(s, episodes, cases, rng), truth, assume_unique=True)
    phones = _Phones(s, cases, rng)
    points, published = [], {}
    steps = list(adoptions)
    for adoption in progress(steps) if progress else steps:
        warned, published[adoption] = _bluetooth(s, adoption, episodes, cases, draws, phones, rng)
        found = np.intersect1d(warned, truth, assume_unique=True)
        points.append(
            Point(
                adoption=adoption,
                true_contacts=len(truth),
                bluetooth=len(found),
                qr=len(qr),
                both=_count(found, qr),
                either=len(np.union1d(found, qr)),
                bluetooth_false_alarms=len(warned) - len(found),
            )
        )
    return Result(
        s,
        points,
        dt.datetime.now(dt.UTC),
        time.perf_counter() - started,
        count,
        published,
    )


def text_progress(steps: Iterable, out: TextIO | None = None) -> Iterable:
    """A progress bar on stderr: tqdm's, or a plain line per step where tqdm is not installed."""
    out = out or sys.stderr
    steps = list(steps)
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency; a device may lack it
        for number, step in enumerate(steps, 1):
            print(f"\r[{number}/{len(steps)}] adoption {step:.0%}", end="", file=out, flush=True)
            yield step
        print(file=out)
        return
    yield from tqdm(steps, file=out, desc="adoption levels", unit="level")


# --- output ---------------------------------------------------------------------------------

CSV_NAME = "simulation.csv"
PNG_NAME = "simulation.png"
JSON_NAME = "simulation.json"


def folder(data_dir: Path) -> Path:
    """Where the latest simulation is kept under the data directory: the officials' page reads
    it, `kiemdich proximity simulate` writes it by default."""
    return data_dir / "proximity" / "simulation"


def write_outputs(result: Result, out: Path) -> list[Path]:
    """The CSV table, the PNG chart and the parameters (JSON) in `out`; the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    csv_path, png_path, json_path = out / CSV_NAME, out / PNG_NAME, out / JSON_NAME
    write_csv(
        csv_path,
        [*COLUMNS, "share_bluetooth", "share_qr", "share_both", "share_either"],
        (
            [
                *(getattr(p, c) for c in COLUMNS),
                *(f"{p.share(c):.4f}" for c in ("bluetooth", "qr", "both", "either")),
            ]
            for p in result.points
        ),
    )
    chart(result, png_path)
    json_path.write_text(
        json.dumps(
            {
                "ran_at": result.ran_at.isoformat(),
                "seconds": round(result.seconds, 1),
                "cases": result.cases,
                "scenario": asdict(result.scenario),
                "adoptions": [p.adoption for p in result.points],
            },
            indent=2,
        )
    )
    return [csv_path, png_path, json_path]


@dataclass(frozen=True)
class Latest:
    """The simulation last written to a folder, as the officials' page shows it."""

    ran_at: dt.datetime
    seconds: float
    cases: int
    scenario: dict
    rows: list[dict[str, str]]
    chart: Path
    table: Path


def read_latest(out: Path) -> Latest | None:
    """What `write_outputs` left in `out`, or None when no (whole) simulation is there."""
    paths = out / JSON_NAME, out / CSV_NAME, out / PNG_NAME
    if not all(p.is_file() for p in paths):
        return None
    try:
        params = json.loads(paths[0].read_text())
        with paths[1].open(newline="") as f:
            rows = list(csv.DictReader(f))
        ran_at = dt.datetime.fromisoformat(params["ran_at"])
    except (OSError, ValueError, KeyError):
        return None
    return Latest(
        ran_at,
        params.get("seconds", 0.0),
        params.get("cases", 0),
        params["scenario"],
        rows,
        paths[2],
        paths[1],
    )


def chart(result: Result, path: Path) -> None:
    """Share of true close contacts found against adoption, Vietnamese first, English second."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    x = [100 * p.adoption for p in result.points]
    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    lines = (
        ("either", "Bluetooth hoặc QR (either)", "-", "#1b5e20"),
        ("bluetooth", "Bluetooth", "-", "#1565c0"),
        ("qr", "Quét mã QR (QR scans)", "--", "#ef6c00"),
        ("both", "Cả hai (both)", ":", "#6a1b9a"),
    )
    for column, label, style, colour in lines:
        y = [100 * p.share(column) for p in result.points]
        ax.plot(x, y, style, marker="o", label=label, color=colour)
    ax.axvline(60, color="#9e9e9e", linewidth=1)
    ax.text(61, 95, "mục tiêu 60 % (target)", color="#616161", fontsize=9, va="top")
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.set_xlabel("Tỷ lệ cài ứng dụng, % (app adoption)")
    ax.set_ylabel("Tiếp xúc gần được phát hiện, % (close contacts found)")
    s = result.scenario
    ax.set_title(
        f"{s.people:,} người, {s.days} ngày, {result.cases:,} ca F0 "
        f"({s.people:,} people, {s.days} days, {result.cases:,} cases)",
        fontsize=10,
    )
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
