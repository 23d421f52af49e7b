"""The Vietnamese catalogue the server loads (django.mo, committed) is the one the translators
edit (django.po): a merge or a forgotten compile once left every new message in English, and
Django's compilemessages skips a .mo whose file time is newer than its .po."""

import gettext
import shutil
import subprocess
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parent.parent / "locale" / "vi" / "LC_MESSAGES"


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="needs gettext's msgfmt")
def test_the_compiled_catalogue_matches_its_source(tmp_path):
    fresh = tmp_path / "django.mo"
    subprocess.run(  # noqa: S603 (a fixed tool on the project's own file)
        ["msgfmt", "--check", "-o", str(fresh), str(LOCALE / "django.po")],  # noqa: S607
        check=True,
        capture_output=True,
    )
    with fresh.open("rb") as new, (LOCALE / "django.mo").open("rb") as committed:
        expected = gettext.GNUTranslations(new)._catalog
        actual = gettext.GNUTranslations(committed)._catalog
    missing = sorted(str(k) for k in expected.keys() - actual.keys())[:5]
    assert not missing, f"compile the catalogue (make messages): missing {missing}"
    assert actual == expected
