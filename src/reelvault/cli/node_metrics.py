"""``/metrics`` of a worker node (``reelvault worker --metrics-listen HOST:PORT``).

A worker node serves no API, so its jobs' counters and histograms would reach no scrape.
With ``--metrics-listen`` every process of the node keeps its values in prometheus_client's
multiprocess files (one folder per node, see :mod:`reelvault.metrics`), and a small
HTTP server in the node's main process answers Prometheus with their sum. It serves only
``/metrics``: label values are engine names, states and formats, never user data.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from threading import Thread
from typing import Any
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.multiprocess import MultiProcessCollector

from reelvault.errors import ValidationError


def parse_listen(value: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[v6]:PORT`` for IPv6) or a bare port (loopback)."""
    text = value.strip()
    host, _, port_text = text.rpartition(":")
    if not host:
        host = "127.0.0.1"
    host = host.strip("[]")
    try:
        port = int(port_text)
        if host != "localhost":
            ipaddress.ip_address(host)
    except ValueError:
        raise ValidationError(
            "--metrics-listen takes HOST:PORT, e.g. 0.0.0.0:9100 or 127.0.0.1:9100",
            param="metrics_listen",
        ) from None
    if not 1 <= port <= 65535:
        raise ValidationError("--metrics-listen: the port must be 1-65535", param="metrics_listen")
    return host, port


def serve_node_metrics(folder: Path, host: str, port: int) -> tuple[WSGIServer, Thread]:
    """Start answering ``GET /metrics`` with the sum of every file under ``folder``."""
    registry = CollectorRegistry()
    collector: Any = MultiProcessCollector  # untyped in prometheus_client
    collector(registry, path=str(folder))
    server, thread = start_http_server(port, addr=host, registry=registry)
    return server, thread


__all__ = ["parse_listen", "serve_node_metrics"]
