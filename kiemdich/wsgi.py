"""WSGI entry point for production (gunicorn sync workers, see DESIGN.md §5)."""

import os

from django.core.wsgi import get_wsgi_application

from kiemdich.checkins.fastpath import ScanFastPath

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kiemdich.settings")
# A person's entry scan is answered before Django's request cycle (see checkins/fastpath.py).
application = ScanFastPath(get_wsgi_application())
