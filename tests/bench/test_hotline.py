"""bench/hotline.py on a small province: the generated tickets are what the pages count.

No times are asserted (they depend on the machine): the board's and the statistics' counts must
agree with count(*) on the generated data, and the statistics read from the rollup with those
computed from the tickets, which is what `python -m bench hotline` checks at 1,000,000 tickets."""

import pytest
from django.utils import timezone

from bench import hotline
from kiemdich.hotline.models import Segment, Ticket


@pytest.mark.postgresql("percentile_cont and the generated INSERT … SELECT")
def test_the_board_and_statistics_count_the_generated_tickets(binh_phuoc):
    now = timezone.now()
    hotline.load(2_000, now)
    assert Ticket.objects.count() == Segment.objects.count() == 2_000
    assert Ticket.objects.filter(status="acknowledged").exists()
    figures = hotline.measure(now, runs=1, warmup=0)
    checks = {f.name: f.median for f in figures if f.is_check}
    assert checks == {
        "board: open tickets": 1.0,
        "statistics, 7 days: tickets": 1.0,
        "statistics, 7 days: rollup": 1.0,  # the rollup's figures are the tickets' own
        "statistics, 30 days: tickets": 1.0,
        "statistics, 30 days: rollup": 1.0,
    }
    assert {f.baseline_label for f in figures if not f.is_check} >= {"count(*) of the same tickets"}
