"""The Celery application: ``celery -A ris_connector.celery.app worker|beat``.

Configured from the environment (:class:`~ris_connector.celery.settings.FleetSettings`):
``RIS_CONFIG`` names the sources file, ``RIS_DB`` the shared store, ``RIS_BROKER_URL`` the broker.
Importing this module builds the app; use :func:`~ris_connector.celery.factory.create_app` to
build one from explicit settings instead.
"""

from __future__ import annotations

from ris_connector.celery.factory import create_app

app = create_app()
