"""The `kiemdich` console command: Django's manage.py under the project's own name.

Officials and operators type `kiemdich demo`, `kiemdich geo load`, `kiemdich token create USER`;
they should never need to know about manage.py or DJANGO_SETTINGS_MODULE.
"""

import os
import sys


def main() -> None:
    """Run the management command named on the command line."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kiemdich.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
