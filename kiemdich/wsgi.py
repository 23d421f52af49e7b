"""WSGI entry point for production (gunicorn sync workers, see DESIGN.md §5)."""

import gc
import os

from django.core.wsgi import get_wsgi_application

from kiemdich.checkins.fastpath import ScanFastPath

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kiemdich.settings")
# A person's entry scan is answered before Django's request cycle (see checkins/fastpath.py).
application = ScanFastPath(get_wsgi_application())

# What loading the application left (about 116,000 objects: modules, URL patterns, schemas)
# lives as long as the worker. Frozen, Python's full collections no longer walk it: a batch of
# 1,000 scans keeps enough objects alive to trigger one every few batches, and each walked all
# of them (~70 ms). Measured under batch load: full collections took 15-20 % of a worker's
# CPU, and 1-2 % once frozen (bench/README.md). Garbage first, so none of it is kept.
gc.collect()
gc.freeze()
