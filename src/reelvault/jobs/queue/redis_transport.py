"""kombu's Redis transport, with acknowledgements that survive a broker restart.

kombu frees a prefetch slot only once Redis confirmed the acknowledgement. When Redis
is down at that moment (restarting), the slot is never freed: with prefetch 1 per
process, a node whose slots all leak this way never asks for a message again and sits
idle while jobs wait (seen with a Redis restarted under load). Here the slot is freed
whatever Redis answered. The message itself, if Redis kept it, comes back after the
visibility timeout, and its claim is a no-op because its job has ended.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis as kombu_redis
from kombu.transport import virtual

TRANSPORT = "reelvault.jobs.queue.redis_transport:Transport"


class QoS(kombu_redis.QoS):
    def ack(self, delivery_tag: Any) -> None:
        try:
            super().ack(delivery_tag)  # type: ignore[no-untyped-call]
        finally:
            # Idempotent: frees the prefetch slot.
            virtual.QoS.ack(self, delivery_tag)  # type: ignore[no-untyped-call]

    def reject(self, delivery_tag: Any, requeue: bool = False) -> None:
        try:
            super().reject(delivery_tag, requeue=requeue)  # type: ignore[no-untyped-call]
        finally:
            virtual.QoS.ack(self, delivery_tag)  # type: ignore[no-untyped-call]


class Channel(kombu_redis.Channel):
    QoS = QoS


class Transport(kombu_redis.Transport):
    Channel = Channel


__all__ = ["TRANSPORT", "Transport"]
