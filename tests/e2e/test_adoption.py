"""A district officer opens the install-rate dashboard on a phone, sees the charts against the
target, drills into a commune's trend and downloads the Excel file (issue 6, done when)."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.official_files import data_table, texts

from .test_login import log_in
from .test_tracing import fits


def test_district_officer_sees_the_chart_and_downloads_excel(page: Page, demo: str) -> None:
    log_in(page, demo, "huyen")
    page.locator("header a[href='/adoption/']").click()

    # The demo's newest figures are seed 000's, dated today: Bù Đăng at 36,09%, its 16 communes
    # below, and the target due 18 days ahead (30/7 after 12/7/2021).
    today = timezone.localdate()
    deadline = today + dt.timedelta(days=18)
    expect(page.locator("h1")).to_contain_text("Huyện Bù Đăng")
    expect(page.locator("#total-rate")).to_have_text("36,09%")
    expect(page.locator("#target")).to_contain_text(f"60,00% · {deadline:%d/%m/%Y}")
    rows = page.locator("#rates tbody tr")
    expect(rows).to_have_count(16)

    # The bar chart is drawn: one bar per commune, and the target as a line at 60.
    page.wait_for_function("() => window.Chart && Chart.getChart('rates-chart')")
    bars = page.evaluate(
        "() => { const c = Chart.getChart('rates-chart');"
        " return {bars: c.data.datasets[0].data.length, target: c.data.datasets[1].data[0],"
        " drawn: c.getDatasetMeta(0).data.length}; }"
    )
    assert bars == {"bars": 16, "target": 60, "drawn": 16}
    # The trend follows the area picked: the district, then one commune.
    trend = "() => Chart.getChart('trend-chart').data.datasets[0].data"
    district = page.evaluate(trend)
    assert len(district) == 30 and district[-1] == 36.09
    page.select_option("#trend-unit", "25396")
    expect(page.locator("#trend-chart")).to_be_visible()
    commune = page.evaluate(trend)
    assert commune != district and len(commune) == 30
    fits(page)

    with page.expect_download() as download:
        page.locator("#export-xlsx").click()
    assert download.value.suggested_filename == f"ty-le-cai-dat-bu-dang-696-{today:%Y-%m-%d}.xlsx"
    content = download.value.path().read_bytes()
    assert texts(content)[0] == "UBND HUYỆN BÙ ĐĂNG"  # the district issues it
    _header, table, after = data_table(content)
    assert len(table) == 16
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert [c.value for c in sheet[after]][4] == 36.09  # the total row after 16 communes
    first = rows.first.locator("td.rate")
    assert float(first.inner_text().rstrip("%").replace(",", ".")) == table[0][4]

    # Drill down to a commune: its own figures, no rows below.
    rows.first.locator("a").click()
    expect(page.locator("h1")).to_contain_text("Thị trấn Đức Phong")
    expect(page.locator("#rates")).to_have_count(0)
