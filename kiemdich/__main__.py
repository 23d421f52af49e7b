"""The `kiemdich` console command: Django's manage.py under the project's own name.

Officials and operators type `kiemdich demo`, `kiemdich geo load`, `kiemdich token create USER`;
they should never need to know about manage.py or DJANGO_SETTINGS_MODULE.
"""

import os
import sys


def main() -> None:
    """Run the management command named on the command line.

    Settings are loaded first: Django swallows a settings error while listing its commands and
    then reports it under a `KeyError` for the command's name, so a missing secret would read
    as "collectstatic does not exist". Here it is the one line that says what to set.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kiemdich.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 (loading the settings is the point)
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"kiemdich: {exc}\n")
        raise SystemExit(2) from None
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
