"""The form an organization's admin fills in: how many people of each group have installed.

Its checks are `orgs.services.installed_problem`, the same the API applies, so the page and the API
give the same message for the same number.
"""

from __future__ import annotations

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kiemdich.orgs.services import installed_problem

from .org_figures import GroupFigure


class InstalledForm(forms.Form):
    """One field per group the organization has, named after the group ("teachers", ...)."""

    def __init__(self, figures: list[GroupFigure], *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.figures = {f.group: f for f in figures}
        for f in figures:
            self.fields[f.group] = forms.IntegerField(
                label=_("%(group)s who installed") % {"group": capfirst(f.label)},
                min_value=0,
                max_value=2_000_000_000,
                initial=f.installed,
                help_text=_("of %(headcount)d") % {"headcount": f.headcount},
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
                error_messages={
                    "required": gettext_lazy("Enter a number of people, 0 or more."),
                    "invalid": gettext_lazy("Enter a whole number, e.g. 35."),
                    "min_value": gettext_lazy("Enter a number of people, 0 or more."),
                },
            )
            # The phone's number pad stops at the headcount; the server still says why.
            self.fields[f.group].widget.attrs["max"] = f.headcount

    def clean(self) -> dict:
        data = super().clean()
        for group, figure in self.figures.items():
            value = data.get(group)
            if value is None:
                continue
            problem = installed_problem(figure.headcount, value)
            if problem:
                self.add_error(group, problem)
        return data

    def changed_groups(self) -> dict[str, int]:
        """The groups whose number differs from what was saved."""
        return {
            group: self.cleaned_data[group]
            for group, figure in self.figures.items()
            if self.cleaned_data.get(group) is not None
            and self.cleaned_data[group] != figure.installed
        }
