"""WSGI entry point for production (gunicorn sync workers, see DESIGN.md §5)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kiemdich.settings")
application = get_wsgi_application()
