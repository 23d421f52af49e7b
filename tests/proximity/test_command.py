"""`kiemdich proximity identifiers` prints the published vectors and refuses bad hex."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command


def test_identifiers_print_the_vectors():
    out = StringIO()
    call_command(
        "proximity",
        "identifiers",
        "--tek",
        "75c734c6dd1a782de7a965da5eb93125",
        "--interval",
        "2642976",
        "--count",
        "2",
        "--metadata",
        "40080000",
        stdout=out,
    )
    assert out.getvalue().splitlines() == [
        "2642976 8be6cd371c5c891604bfbe49df845096 72033874",
        "2642977 3c9a1de5dd6b02afa7fded7b570b3e56 c29211b1",
    ]


def test_bad_hex_is_a_clear_error():
    with pytest.raises(CommandError, match="--tek must be hexadecimal"):
        call_command("proximity", "identifiers", "--tek", "zz", "--interval", "1")
    with pytest.raises(CommandError, match="16 bytes"):
        call_command("proximity", "identifiers", "--tek", "00ff", "--interval", "1")
