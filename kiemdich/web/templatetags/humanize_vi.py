"""Numbers the way Vietnamese reports write them: 8.832 and 33,23% (English: 8,832 and 33.23%).

Django's number_format only groups digits where the locale defines NUMBER_GROUPING, which its
Vietnamese locale does not; officials read "8832" as a code, not a count, so we group ourselves.
"""

from django import template
from django.utils.formats import get_format

from kiemdich.phones import display_phone

register = template.Library()


def grouped(number: float, decimals: int = 0) -> str:
    text = f"{number:,.{decimals}f}"  # "8,832.50"
    thousands = get_format("THOUSAND_SEPARATOR")
    decimal = get_format("DECIMAL_SEPARATOR")
    return text.replace(",", "\0").replace(".", decimal).replace("\0", thousands)


@register.filter
def count(value) -> str:
    """A whole number with the active language's grouping ("8.832"), or a dash if unknown."""
    if value is None or value == "":
        return "—"
    return grouped(int(value))


@register.filter
def percent_of(part, whole) -> str:
    """`part` as a percentage of `whole`, rounded as every rate in kiemdich is (two decimals,
    half up: adoption.figures.rate), or a dash if it cannot be computed."""
    from kiemdich.adoption.figures import rate

    return percent(rate(part, whole))


@register.filter
def percent(value) -> str:
    """An already rounded rate (Decimal 40.02) as "40,02%", or a dash if unknown."""
    if value is None or value == "":
        return "—"
    return grouped(value, 2) + "%"


@register.filter
def phone(value: str) -> str:
    """'+84912345678' as people write it: '091 234 56 78'."""
    return display_phone(value) if value else ""
