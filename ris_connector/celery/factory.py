"""How the Celery application is built: broker, redelivery settings, beat schedule, the task."""

from __future__ import annotations

import logging
from functools import partial

from celery import Celery
from celery.signals import worker_init, worker_process_init

from ris_connector.celery.metrics import serve_worker_metrics
from ris_connector.celery.schedule import beat_schedule
from ris_connector.celery.settings import FleetSettings
from ris_connector.celery.tasks import register_tasks
from ris_connector.config import load_config
from ris_connector.runtime import tune_gc

log = logging.getLogger(__name__)


def _tune_worker_gc(**_: object) -> None:
    """The CLI's garbage-collector settings in a worker (``worker_init``) and each pool process."""
    tune_gc()


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
    for signal in (worker_init, worker_process_init):
        signal.connect(_tune_worker_gc, weak=False, dispatch_uid=f"ris_connector.tune_gc.{signal.name}")
    if settings.metrics_port is not None:  # RIS_METRICS_PORT: this worker serves the store's /metrics
        worker_init.connect(partial(serve_worker_metrics, settings), weak=False, dispatch_uid="ris_connector.metrics")
    return app
