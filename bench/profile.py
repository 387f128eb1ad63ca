"""Where a running service spends its CPU: py-spy samples the process, and the
samples are summed by the layer that was running (the leaf frame's package) and by
the entrypoint that led there (a handler, an HTTP endpoint, a timer).

  python -m bench.profile --pid PID [--seconds 20]
"""

import argparse
import collections
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

LAYERS = [  # (label, pattern of the leaf frame "function (path:line)"), first match wins
    # py-spy leaves out idle time, and shows C extensions as the Python frame that called them
    (
        "psycopg2 (C: sending statements, reading and converting rows)",
        r"^DefaultDialect\.do_\w+ |\(sqlalchemy/dialects/postgresql/",
    ),
    ("SQLAlchemy ORM and SQL compilation", r"\(sqlalchemy/"),
    ("eventlet hub and green sockets", r"\((eventlet|greenlet|psycogreen)/"),
    ("AMQP client (kombu, amqp)", r"\((amqp|kombu)/"),
    ("HTTP client and server (requests, urllib3, http, werkzeug)", r"\((requests|urllib3|http|werkzeug)/|\(socket\.py"),
    ("marshmallow (event and request schemas)", r"\(marshmallow/"),
    ("Jinja2 templates", r"\(jinja2/"),
    ("nameko", r"\(nameko/"),
    ("Một Cửa code", r"\((services|shared)/"),
]
ENTRY = re.compile(r"^(\w+Service\.\w+|OutboxRelay\._run|Sender\._run|\w+\.dispatch_\w+)")


def record(pid, seconds, out):
    """Start sampling `pid` for `seconds` into `out` (py-spy's raw format); None
    when py-spy is not installed (`pip install -e '.[bench]'`)."""
    beside = Path(sys.executable).with_name("py-spy")  # in the virtualenv, not always on PATH
    spy = str(beside) if beside.exists() else shutil.which("py-spy")
    if not spy:
        return None
    return subprocess.Popen(
        [
            spy,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(int(seconds)),
            "--rate",
            "200",
            "--format",
            "raw",
            "--output",
            str(out),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def summarize(raw):
    """(samples, [(layer, share)], [(entrypoint, share)]) from a py-spy raw file."""
    layers, entries, total = collections.Counter(), collections.Counter(), 0
    for line in Path(raw).read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        layers[
            next((label for label, pattern in LAYERS if re.search(pattern, frames[-1])), "other (standard library)")
        ] += n
        entry = next(
            (m.group(1) for f in frames if (m := ENTRY.match(f))),
            "outside entrypoints (consuming, parsing and acking messages; the hub)",
        )
        entries[entry] += n
    share = lambda counter: [(k, v / total) for k, v in counter.most_common()]  # noqa: E731
    return total, share(layers), share(entries)


def report(raw, out=print):
    total, layers, entries = summarize(raw)
    if not total:
        out("    (no samples)")
        return
    out(f"    {total} samples; by the layer running:")
    for label, share in layers:
        out(f"      {share:6.1%}  {label}")
    out("    by entrypoint:")
    for label, share in entries[:12]:
        out(f"      {share:6.1%}  {label}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pid", type=int, required=True, help="the service process to sample")
    parser.add_argument("--seconds", type=float, default=20, help="how long to sample")
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp(prefix="motcua-profile-")) / "samples.raw"
    spy = record(args.pid, args.seconds, out)
    if spy is None:
        raise SystemExit("py-spy is not installed: pip install -e '.[bench]'")
    spy.wait()
    report(out)


if __name__ == "__main__":
    main()
