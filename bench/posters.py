"""A district's print run: 1,000 QR posters of real (generated) venues in one PDF.

Targets (issue): under 60 s and under 500 MB of memory. Rendering runs in a child process
(`python -m bench.posters OUT`) so that its peak RSS is the rendering's own and not the
benchmark's, which has generated two million rows by then; the child is what a management
command or a worker printing the posters would be: Django, the venue query, signing and drawing.

The peak is the child's own VmHWM, not `getrusage(RUSAGE_CHILDREN).ru_maxrss`: Linux carries the
parent's high-water mark into the child across exec (fs/exec.c, `setmax_mm_hiwater_rss`), so
ru_maxrss of a child started by a 190 MB process reads at least 190 MB even if the child never
uses more than 15. Both are printed; the figure uses VmHWM where /proc has it.

The baseline, timed in this process on the same URLs, is only building the 1,000 QR matrices
with segno: the part of each page that no layout work can avoid.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from .common import Figure, Options, log, median

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from kiemdich.venues.models import Venue

    from .data import Dataset

PROVINCE = "70"  # Bình Phước
DISTRICT = "696"  # Huyện Bù Đăng
COUNT = 1000
TARGET_S = 60.0
TARGET_MB = 500.0
BASELINE_RUNS = 1  # like the render itself, which is one 10-20 s run
ROOT = Path(__file__).resolve().parent.parent


def poster_venues() -> QuerySet[Venue]:
    """The venues to print: a district's first COUNT in commune and name order, as a commune
    officer's "print all" would list them; the whole province's when the district has fewer.

    Django is imported here, not at the top, because the child must call django.setup() first.
    """
    from kiemdich.geo.models import Unit
    from kiemdich.venues.models import Venue

    venues = Venue.objects.under(Unit.objects.get(code=DISTRICT))
    if venues.count() < COUNT:
        venues = Venue.objects.under(Unit.objects.get(code=PROVINCE))
    return venues.select_related("commune").order_by("commune_id", "name", "pk")[:COUNT]


def render(out: Path) -> dict[str, float]:
    """In the child: query, sign and draw the posters into `out`, as production code does."""
    import django

    django.setup()
    from kiemdich.venues.poster import write_posters
    from kiemdich.venues.services import area_posters

    start = time.perf_counter()
    with out.open("wb") as fh:
        pages = write_posters(area_posters(poster_venues()), fh)
    return {"pages": pages, "seconds": time.perf_counter() - start, "vmhwm_mb": own_peak_mb()}


def own_peak_mb() -> float | None:
    """This process's peak resident memory since its exec (VmHWM), or None off Linux."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    return None


def _ru_maxrss_mb(who: int) -> float:
    """ru_maxrss in MB: Linux reports KiB, macOS bytes."""
    value = resource.getrusage(who).ru_maxrss
    return value / 2**20 if sys.platform == "darwin" else value / 1024


def qr_matrices(urls: list[str]) -> float:
    """Seconds to build one QR matrix per URL, nothing drawn: the baseline."""
    import segno

    start = time.perf_counter()
    for url in urls:
        segno.make(url, error="m")
    return time.perf_counter() - start


def run(dataset: Dataset, options: Options) -> list[Figure]:
    from kiemdich.venues import signing

    dataset.ensure_venues(options.venues)
    key = signing.current_key()  # created here once, so the child finds it like production
    urls = [signing.qr_url(signing.sign(v.pk, key)) for v in poster_venues()]
    baseline = median([qr_matrices(urls) for _ in range(BASELINE_RUNS)])

    with tempfile.TemporaryDirectory(prefix="kiemdich-bench-") as tmp:
        out = Path(tmp) / "posters.pdf"
        start = time.perf_counter()
        child = subprocess.run(  # noqa: S603 (this interpreter, this module)
            [sys.executable, "-m", "bench.posters", str(out)],
            cwd=ROOT,
            env=os.environ,
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - start
        if child.returncode != 0:
            raise RuntimeError(f"poster child failed ({child.returncode}):\n{child.stderr}")
        size_mb = out.stat().st_size / 2**20
    result = json.loads(child.stdout.strip().splitlines()[-1])
    seconds, pages = result["seconds"], int(result["pages"])
    rusage_mb = _ru_maxrss_mb(resource.RUSAGE_CHILDREN)
    peak_mb = result["vmhwm_mb"] if result["vmhwm_mb"] is not None else rusage_mb
    log(
        f"  posters: {pages:,} pages in {seconds:.1f} s ({pages / seconds:.0f} pages/s; child "
        f"process {wall:.1f} s with start-up), PDF {size_mb:.1f} MB "
        f"({size_mb * 1024 / pages:.1f} KB/page); baseline {len(urls):,} QR matrices "
        f"(segno) {baseline:.2f} s"
    )
    log(
        f"  memory: child's own peak (VmHWM) {peak_mb:.0f} MB; RUSAGE_CHILDREN ru_maxrss "
        f"{rusage_mb:.0f} MB, which includes this process's peak of "
        f"{_ru_maxrss_mb(resource.RUSAGE_SELF):.0f} MB inherited through exec"
    )
    return [
        Figure(
            name=f"{pages:,} posters into one PDF",
            unit="s",
            median=seconds,
            baseline=baseline,
            baseline_label=f"{len(urls):,} QR matrices",
            target=TARGET_S,
        ),
        Figure(name="poster rendering, peak RSS", unit="MB", median=peak_mb, target=TARGET_MB),
    ]


def main(argv: list[str]) -> int:
    """Child entry point: render into argv[0] and print the result as one JSON line."""
    print(json.dumps(render(Path(argv[0]))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
