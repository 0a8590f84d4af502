"""The Celery app: worker and beat both load it (``celery -A shishi_mediation``)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shishi_mediation.settings")

app = Celery("shishi_mediation")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
