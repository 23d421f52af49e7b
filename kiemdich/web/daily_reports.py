"""The daily reports, as the Today pages read them: the one module of `web` that names where
they live.

They are about to move from `kiemdich.adoption.reports` to their own app; this import is then
the only line of `web` to change. Only their public functions and names are used: who is
expected, the deadlines and the states are the reports' own rules, never restated here.
"""

from kiemdich.adoption.reports import (
    Overview,
    ReportState,
    may_report,
    overview,
    reports_up,
)

#: The page that details a unit's reports (`?unit=CODE&date=YYYY-MM-DD`).
REPORTS_PAGE = "reports:index"

__all__ = ["REPORTS_PAGE", "Overview", "ReportState", "may_report", "overview", "reports_up"]
