"""How the Celery application is built: broker, redelivery settings, beat schedule, the task."""

from __future__ import annotations

import logging

from celery import Celery

from ris_connector.celery.schedule import beat_schedule
from ris_connector.celery.settings import FleetSettings
from ris_connector.celery.tasks import register_tasks
from ris_connector.config import load_config

log = logging.getLogger(__name__)


def create_app(settings: FleetSettings | None = None) -> Celery:
    """A Celery app with the ``run_source`` task and, when a sources file is set, its beat schedule."""
    settings = settings or FleetSettings.from_env()
    app = Celery("ris_connector", broker=settings.broker_url, set_as_current=False)
    schedule = beat_schedule(load_config(settings.config).sources) if settings.config else {}
    if not settings.config:
        log.warning("RIS_CONFIG is not set: no beat schedule, and tasks cannot run")
    # Redis gives an unacknowledged task (its worker died) to another worker after the
    # visibility timeout; sweep for such tasks often enough to honour short timeouts.
    sweep = max(1, min(60, int(settings.visibility_timeout / 10)))
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_ignore_result=True,
        worker_prefetch_multiplier=1,
        task_default_queue="ris-connector",
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": settings.visibility_timeout,
            "unacked_restore_interval": sweep,
            "unacked_restore_throttle": 1,
        },
        beat_schedule=schedule,
        timezone="UTC",
        enable_utc=True,
    )
    register_tasks(app, settings)
    return app
