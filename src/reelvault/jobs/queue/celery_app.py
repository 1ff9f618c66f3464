"""The Celery application of ``queue=celery``, built from settings.

A message is a job id and nothing else: the prompt, the uploads and every other piece
of the job stay in the database and the vault, so the broker never holds personal data.
Job state and progress live in the database too, so there is no result backend.

Delivery is at least once: a message is acknowledged after its job ran (``acks_late``),
a worker takes one message at a time (prefetch 1, so a long job does not hold others
back), and a message whose worker process died goes back to the queue. Running a job
twice is prevented by the database claim (:meth:`DatabaseQueue.claim_job`), not by the
broker.
"""

from __future__ import annotations

from celery import Celery

from reelvault.config import Settings
from reelvault.errors import ConfigError

TASK_NAME = "reelvault.run_job"


def queue_name(settings: Settings, engine: str) -> str:
    """One queue per engine family: a node consumes only the queues of the engines it runs."""
    return f"{settings.celery_queue_prefix}.{engine}"


def make_celery_app(settings: Settings) -> Celery:
    if settings.broker_url is None:
        raise ConfigError("queue=celery needs broker_url", param="broker_url")
    url = settings.broker_url.get_secret_value()
    app = Celery("reelvault", broker=url, set_as_current=False)
    if url.startswith(("redis://", "rediss://")):
        from reelvault.jobs.queue.redis_transport import TRANSPORT

        app.conf.broker_transport = TRANSPORT
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        result_backend=None,
        task_store_errors_even_if_ignored=False,
        task_serializer="json",
        accept_content=["json"],
        # Redis: a delivered message not acknowledged within this time is delivered again.
        # It must exceed the longest job, or a running job's message would be redelivered
        # (a no-op claim, but a busy worker slot). RabbitMQ's equivalent is the server's
        # consumer_timeout (docs/queue-celery.md).
        broker_transport_options={"visibility_timeout": settings.broker_visibility_timeout_seconds},
        broker_connection_retry_on_startup=True,
        # A publish while the broker is down fails fast: the job is in the database and
        # the republish pass sends its message once the broker is back.
        broker_connection_timeout=3.0,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        task_send_sent_event=False,
        worker_enable_remote_control=False,
        task_default_queue=queue_name(settings, "default"),
    )
    return app


__all__ = ["TASK_NAME", "make_celery_app", "queue_name"]
