"""The Celery app: worker and beat both load it (``celery -A shishi_mediation``)."""

import os

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shishi_mediation.settings")

app = Celery("shishi_mediation")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def _use_django_logging(**kwargs):
    """Worker and beat log through settings.LOGGING (JSON lines naming the order, numbers
    masked) instead of Celery taking over the root logger with its own format."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
