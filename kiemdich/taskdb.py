"""django-tasks-db (the queue of background work: imports, campaigns, reports) in Vietnamese,
without forking it.

The library marks its model's and fields' names with `gettext_lazy` but ships no Vietnamese
catalogue, and names its app with a plain string. So its app is installed through
`TasksDbConfig` (INSTALLED_APPS), which gives the app a translatable name, and the library's
msgids are listed here with `gettext_noop`, so that `makemessages` keeps them in our catalogue
(locale/vi), where Django finds their Vietnamese text for the library's own lazy strings.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, pgettext_lazy
from django_tasks_db.apps import TasksAppConfig

#: The library's msgids the admin shows (django_tasks_db/models.py, django_tasks/base.py).
LIBRARY_MSGIDS = (
    gettext_noop("Task Result"),
    gettext_noop("Task Results"),
    gettext_noop("status"),
    gettext_noop("enqueued at"),
    gettext_noop("started at"),
    gettext_noop("finished at"),
    gettext_noop("args kwargs"),
    gettext_noop("priority"),
    gettext_noop("task path"),
    gettext_noop("worker id"),
    gettext_noop("queue name"),
    gettext_noop("backend name"),
    gettext_noop("run after"),
    gettext_noop("return value"),
    gettext_noop("exception class path"),
    gettext_noop("traceback"),
    pgettext_lazy("Task", "Ready"),
    pgettext_lazy("Task", "Running"),
    pgettext_lazy("Task", "Failed"),
    pgettext_lazy("Task", "Successful"),
)


class TasksDbConfig(TasksAppConfig):
    """The library's app, with a name officials can read in the admin."""

    verbose_name = _("Background tasks")
