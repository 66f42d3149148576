"""Run sources as Celery tasks over a shared store (``pip install ris-connector[celery]``).

``celery -A ris_connector.celery.app worker`` starts a worker, ``... beat`` the schedule; both
are configured from the environment (:mod:`ris_connector.celery.settings`). The modules of this
package import the ``celery`` distribution absolutely; nothing here shadows it.
"""
