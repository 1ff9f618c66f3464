"""API benchmark: POST /v1/videos throughput against a bare endpoint on the same server,
and the server's memory while a 2 GiB upload streams through it.

    python bench/api.py [--seconds 5] [--rounds 3] [--upload-mib 2048] [--clients 8]
                        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Goals (issue 4): job creation >= 0.5x the bare endpoint; RSS growth < 100 MiB.
The server runs in its own process (uvicorn, no workers so jobs stay queued); the load
comes from this process over loopback. Each round measures the bare endpoint, then job
creation; the ratio reported is the median of the rounds' ratios (shared machines are
noisy, and a round compares two measurements taken seconds apart).

With ``--database-url`` (issue 17) a second server runs beside the first on a fresh
PostgreSQL database (created on that server and dropped after; see ``scratch_db.py``),
and each round also measures job creation there, right after SQLite's: PostgreSQL's
create throughput is printed beside SQLite's with the median ratio (goal >= 0.8x).
The upload measurement runs on the SQLite server only.
Figures measured on the shared 2-core machine, with its load: docs/deploy.md, Sizing.

"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from scratch_db import database_label, machine, scratch_database

SERVER = r"""
import sys, uvicorn
from reelvault.app.factory import create_app
from reelvault.config import load_settings
settings = load_settings(None, data_dir=sys.argv[1], rate_limit_per_minute=0,
                         max_image_bytes=4 * 1024**3, database_url=sys.argv[3] or None)
app = create_app(settings, worker_mode="none")
@app.post("/bench/bare")
def bare() -> dict[str, str]:
    return {"ok": "yes"}
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", access_log=False)
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def rss_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def hammer(url: str, seconds: float, clients: int, **kwargs: object) -> float:
    done = 0
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def loop() -> None:
        nonlocal done
        with httpx.Client() as client:
            while time.monotonic() < stop:
                response = client.post(url, **kwargs)  # type: ignore[arg-type]
                assert response.status_code < 300, response.text
                with lock:
                    done += 1

    threads = [threading.Thread(target=loop) for _ in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done / (time.monotonic() - started)


def multipart_stream(boundary: str, size: int) -> Iterator[bytes]:
    yield (
        f'--{boundary}\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nbench\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="input_reference"; '
        f'filename="big.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
    ).encode()
    chunk = b"\xff\xd8\xff\xe0" + os.urandom(1024 * 1024 - 4)
    sent = 0
    while sent < size:
        yield chunk
        sent += len(chunk)
        chunk = chunk[4:] + chunk[:4]
    yield f"\r\n--{boundary}--\r\n".encode()


@contextlib.contextmanager
def server(data: str, database_url: str | None) -> Iterator[tuple[str, int]]:
    """(base URL, pid) of a server on ``data`` (and ``database_url``), ready for requests."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", SERVER, data, str(port), database_url or ""])
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(f"{base}/healthz")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        hammer(f"{base}/bench/bare", 1.0, 2)  # warm-up
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--upload-mib", type=int, default=2048)
    parser.add_argument(
        "--database-url",
        help="also measure job creation on a fresh PostgreSQL database on this server",
    )
    args = parser.parse_args()
    body = {"prompt": "a benchmark", "model": "reelvault-procedural", "size": "320x180"}
    with contextlib.ExitStack() as stack:
        data = stack.enter_context(tempfile.TemporaryDirectory(prefix="reelvault-bench-"))
        base, pid = stack.enter_context(server(data, None))
        pg_base = None
        if args.database_url:
            pg_url = stack.enter_context(scratch_database(args.database_url))
            pg_data = stack.enter_context(tempfile.TemporaryDirectory(prefix="reelvault-bench-"))
            pg_base, _pg_pid = stack.enter_context(server(pg_data, pg_url))
        print(f"machine: {machine()}")
        if args.database_url:
            print(f"databases: SQLite (embedded) vs {database_label(args.database_url)}")
        load = f"{args.clients} clients, {args.seconds:g} s"
        ratios = []
        pg_ratios = []
        for round_number in range(1, args.rounds + 1):
            bare = hammer(f"{base}/bench/bare", args.seconds, args.clients)
            create = hammer(f"{base}/v1/videos", args.seconds, args.clients, json=body)
            ratios.append(create / bare)
            print(
                f"round {round_number}: bare endpoint {bare:8.1f} req/s, "
                f"POST /v1/videos {create:8.1f} req/s (job accepted, engine idle), "
                f"ratio {create / bare:.2f}x ({load})"
            )
            if pg_base is not None:
                pg_create = hammer(f"{pg_base}/v1/videos", args.seconds, args.clients, json=body)
                pg_ratios.append(pg_create / create)
                print(
                    f"         POST /v1/videos SQLite {create:8.1f} req/s, "
                    f"PostgreSQL {pg_create:8.1f} req/s, PostgreSQL/SQLite "
                    f"{pg_create / create:.2f}x"
                )
        print(f"ratio:                {statistics.median(ratios):8.2f}x  (median; goal >= 0.5x)")
        if pg_ratios:
            pg_ratio = statistics.median(pg_ratios)
            verdict = "PASS" if pg_ratio >= 0.8 else "FAIL"
            print(
                f"PostgreSQL/SQLite:    {pg_ratio:8.2f}x  (median create throughput; "
                f"goal >= 0.8x): {verdict}"
            )
        if args.upload_mib <= 0:
            return
        before = rss_kib(pid, "VmRSS")
        size = args.upload_mib * 1024 * 1024
        boundary = "benchboundary"
        started = time.monotonic()
        response = httpx.post(
            f"{base}/v1/videos",
            content=multipart_stream(boundary, size),
            headers={"content-type": f"multipart/form-data; boundary={boundary}"},
            timeout=600,
        )
        elapsed = time.monotonic() - started
        peak = rss_kib(pid, "VmHWM")
        print(
            f"upload {args.upload_mib} MiB: {response.status_code} in {elapsed:.1f} s "
            f"({args.upload_mib / elapsed:.0f} MiB/s, streamed into the vault)"
        )
        print(
            f"server RSS before {before / 1024:.0f} MiB, peak {peak / 1024:.0f} MiB, "
            f"growth {(peak - before) / 1024:.0f} MiB (goal < 100 MiB)"
        )


if __name__ == "__main__":
    main()
