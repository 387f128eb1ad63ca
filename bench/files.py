"""Uploads of 1 MB and 20 MB files to POST /api/dossiers/{code}/files from 8 clients,
in MB/s beside a plain copy of the same payloads to the same disk in the same run;
and intake's peak RSS while 8 clients upload 20 MB each (the limit: 200 MB).

  python -m bench.files [--seconds 10] [--clients 8] [--sizes 1,20] [--folder DIR]

Intake runs alone, as a process, with its file store (MOTCUA_FILES_URL) in a scratch
folder under --folder (default var/, the disk the store uses by default); the plain
copy writes the same payloads into that folder by as many threads, each file in
chunks of 64 KiB, then fsync, as the store does (the store also hashes, sniffs, and
renames each file into place and syncs its folder: that is part of what is measured).
Every payload is a distinct PDF-looking file (b"%PDF-1.7" and random bytes) so the
content-addressed store never dedupes one. Each client is one counter terminal (its
own agency) uploading back to back into dossiers it submitted beforehand, a new one
when the dossier's 100 MB is full. RSS is sampled every 50 ms during the 20 MB run;
VmHWM (the kernel's peak) is read before and after.

Uses MOTCUA_AMQP_URI and MOTCUA_DATABASE_URL (default: the local servers), a scratch
RabbitMQ virtual host, a scratch database and the scratch folder, all removed at the end.
"""

import argparse
import os
import queue
import secrets
import shutil
import statistics
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import requests
import sqlalchemy as sa

from bench.common import drop_database, percentile, scratch_vhost
from bench.intake_common import SECRET, Usage, closed_loop, servers, start_intake, stop
from bench.lifecycle import memory
from services.intake.domain.policies import MAX_DOSSIER_FILES_BYTES, MAX_FILE_BYTES
from shared import auth
from shared.config import ROOT
from shared.files import CHUNK
from tests.system import dossier_body

PREFIX = "motcua_bench_files_"
MB = 1024 * 1024
RSS_LIMIT_MB = 200
DOCUMENT = "Tờ khai"  # the paper dossier_body() lists
POOL = os.urandom(MAX_FILE_BYTES + 4 * MB)  # random bytes each payload is a slice of


def payload(size):
    """`size` bytes that sniff as a PDF, different from every other payload."""
    head = b"%PDF-1.7\n%" + uuid.uuid4().hex.encode() + b"\n"
    start = secrets.randbelow(len(POOL) - size)
    return b"".join((head, memoryview(POOL)[start : start + size - len(head)]))


class Dossiers:
    """Dossiers to attach to, submitted before a run (more on the spot if they run
    out): each client fills one, `per_dossier` files, then takes the next."""

    def __init__(self, url, tokens, per_dossier):
        self.url, self.tokens, self.per_dossier = url, tokens, per_dossier
        self.ready = {i: queue.SimpleQueue() for i in range(len(tokens))}
        self.current = {}
        self.submitted_late = 0
        self.body = dossier_body()

    def submit(self, i, session=requests):
        r = session.post(
            f"{self.url}/api/dossiers",
            json=self.body,
            timeout=60,
            headers={**self.tokens[i], "Idempotency-Key": str(uuid.uuid4())},
        )
        if r.status_code != 201:
            raise SystemExit(f"submitting a dossier: {r.status_code} {r.text[:300]}")
        return r.json()["code"]

    def prepare(self, per_client):
        with ThreadPoolExecutor(8) as pool:
            for i, code in pool.map(lambda i: (i, self.submit(i)), [i for i in self.ready for _ in range(per_client)]):
                self.ready[i].put(code)

    def take(self, session, i, n):
        """The dossier client i's n-th upload goes to."""
        if n % self.per_dossier == 0:
            try:
                self.current[i] = self.ready[i].get_nowait()
            except queue.Empty:
                self.submitted_late += 1
                self.current[i] = self.submit(i, session)
        return self.current[i]


def multipart(content):
    """(body, content type) of the form a counter sends: `document`, then `file`."""
    boundary = uuid.uuid4().hex
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="document"\r\n\r\n{DOCUMENT}\r\n'
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="ho-so.pdf"\r\n'
        f"Content-Type: application/pdf\r\n\r\n"
    ).encode()
    return b"".join((head, content, f"\r\n--{boundary}--\r\n".encode())), f"multipart/form-data; boundary={boundary}"


def plain_copy(folder, size, clients, seconds):
    """The baseline: `clients` threads writing distinct payloads of `size` bytes into
    new files of `folder`, 64 KiB at a time, then fsync; (MB/s, latencies ms, errors).
    Only the write and the fsync are timed (not making the payload)."""
    latencies, done = [], []
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def client(i):
        mine, written = [], 0
        while time.perf_counter() < stop_at:
            content = memoryview(payload(size))
            start = time.perf_counter()
            with open(folder / f"{i}-{len(mine)}", "wb") as sink:
                for at in range(0, size, CHUNK):
                    sink.write(content[at : at + CHUNK])
                sink.flush()
                os.fsync(sink.fileno())
            mine.append((time.perf_counter() - start) * 1000)
            written += size
        with lock:
            latencies.extend(mine)
            done.append(written)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / MB / (time.perf_counter() - started), latencies, 0


class PeakRss:
    """The largest RSS of a process, sampled every 50 ms until stopped (MB)."""

    def __init__(self, pid, every=0.05):
        self.process, self.every = psutil.Process(pid), every
        self.peak = 0.0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss / MB)
            self.samples += 1
            self._stop.wait(self.every)

    def stop(self):
        self._stop.set()
        self._thread.join()
        return self.peak


def line(label, mb_per_s, latencies, errors, extra=""):
    return (
        f"{label:<40} {mb_per_s:8.1f} MB/s   p50 {statistics.median(latencies):7.1f} ms   "
        f"p95 {percentile(latencies, 95):7.1f} ms   errors {errors}{extra}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10, help="seconds per run (default 10)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--sizes", default="1,20", help="file sizes in MB, at most 20 (default 1,20)")
    parser.add_argument(
        "--folder", default=str(ROOT / "var"), help="where the scratch store and copies go (default var/)"
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if any(not 1 <= s <= MAX_FILE_BYTES // MB for s in sizes):
        parser.error(f"--sizes: each between 1 and {MAX_FILE_BYTES // MB} MB")
    amqp, db = servers()
    amqp, drop_vhost = scratch_vhost(amqp, "files")
    drop_database(sa.engine.make_url(db).set(database=PREFIX + "intake"))
    Path(args.folder).mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="bench-files-", dir=args.folder)).resolve()
    store, copies = scratch / "store", scratch / "copies"
    tokens = [
        {"Authorization": "Bearer " + auth.issue("counter", agency=f"000.00.{i:02d}.H56", sub=f"quay-{i}", key=SECRET)}
        for i in range(args.clients)
    ]
    logs = tempfile.NamedTemporaryFile(prefix="bench-files-", suffix=".log", delete=False)
    intake, url = start_intake(amqp, db, PREFIX, logs, MOTCUA_FILES_URL=f"file://{store}")
    try:
        print(
            f"uploads to POST /api/dossiers/{{code}}/files, {args.clients} clients, {args.seconds:g} s a run;"
            f" store and copies in {scratch}; log {logs.name}"
        )

        def uploader(size):
            dossiers = Dossiers(url, tokens, MAX_DOSSIER_FILES_BYTES // (size * MB))

            def upload(session, i, n):
                body, content_type = multipart(payload(size * MB))
                r = session.post(
                    f"{url}/api/dossiers/{dossiers.take(session, i, n)}/files",
                    data=body,
                    timeout=120,
                    headers={**tokens[i], "Content-Type": content_type},
                )
                if r.status_code != 201 and not errors_shown:
                    errors_shown.append(r.status_code)
                    print(f"  first error: {r.status_code} {r.text[:300]}")
                return r.status_code == 201

            return dossiers, upload

        errors_shown = []
        dossiers, warm = uploader(1)
        dossiers.prepare(1)
        closed_loop(warm, args.clients, 1.5)  # warm up: connections, imports, the ORM's caches
        for size in sizes:
            folder = copies / f"{size}mb"
            folder.mkdir(parents=True)
            base_rate, base_lat, _ = plain_copy(folder, size * MB, args.clients, args.seconds)
            print(line(f"plain copy (write + fsync), {size:>2} MB files", base_rate, base_lat, 0))
            shutil.rmtree(folder)  # the copies would fill the disk run after run
            dossiers, upload = uploader(size)
            # enough dossiers for uploads at the plain copy's speed, so none is submitted mid-run
            per_client = int(base_rate * args.seconds / (MAX_DOSSIER_FILES_BYTES / MB) / args.clients) + 2
            dossiers.prepare(per_client)
            usage = Usage(intake.pid)
            _, peak_before = memory(intake.pid)
            rss = PeakRss(intake.pid)
            rate, lat, err = closed_loop(upload, args.clients, args.seconds)
            sampled = rss.stop()
            now, peak_after = memory(intake.pid)
            mb_per_s = rate * (1 - err / max(len(lat), 1)) * size
            share = f" = {mb_per_s / base_rate:4.0%} of copy"
            print(
                line(f"POST .../files, {size:>2} MB files", mb_per_s, lat, err, share)
                + usage.report(len(lat))
                + (f" ({dossiers.submitted_late} dossiers submitted mid-run)" if dossiers.submitted_late else "")
            )
            verdict = "under" if max(sampled, peak_after) < RSS_LIMIT_MB else "OVER"
            print(
                f"  intake RSS during the {size} MB run: peak sampled {sampled:.0f} MB ({rss.samples} samples),"
                f" VmHWM {peak_before:.0f} -> {peak_after:.0f} MB, now {now:.0f} MB;"
                f" {verdict} the {RSS_LIMIT_MB} MB limit"
            )
    finally:
        stop(intake)
        drop_database(sa.engine.make_url(db).set(database=PREFIX + "intake"))
        drop_vhost()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
