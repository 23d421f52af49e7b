"""ASGI entry point; kept for completeness, production uses WSGI (DESIGN.md §5)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kiemdich.settings")
application = get_asgi_application()
