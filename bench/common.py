"""What every benchmark needs: scratch broker and database space, percentiles, CPU time."""

import shutil
import subprocess
from urllib.parse import quote, urlsplit, urlunsplit

import psutil
import sqlalchemy as sa


def percentile(values, p):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def cpu_seconds(*processes):
    """CPU time (user + system) the processes (psutil.Process) have used."""
    return sum(sum(p.cpu_times()[:2]) for p in processes)


def machine_cpu():
    """(busy, total) CPU seconds of all cores so far."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - times.iowait, sum(times)


def scratch_vhost(amqp, name):
    """A fresh RabbitMQ virtual host `motcua_bench_<name>` (rabbitmqctl on a local
    broker), else the given one; returns (its AMQP URI, a function that deletes it)."""
    ctl = shutil.which("rabbitmqctl")
    if not ctl:
        return amqp, lambda: None
    vhost = f"motcua_bench_{name}"
    subprocess.run([ctl, "-q", "delete_vhost", vhost], capture_output=True)  # a crashed run's leftovers
    subprocess.run([ctl, "-q", "add_vhost", vhost], capture_output=True, check=True)
    subprocess.run(
        [ctl, "-q", "set_permissions", "-p", vhost, urlsplit(amqp).username or "guest", ".*", ".*", ".*"],
        capture_output=True,
        check=True,
    )
    parts = urlsplit(amqp)
    return (
        urlunsplit((parts.scheme, parts.netloc, "/" + quote(vhost, safe=""), "", "")),
        lambda: subprocess.run([ctl, "-q", "delete_vhost", vhost], capture_output=True),
    )


def drop_database(url):
    """Drop a scratch database (a SQLAlchemy URL naming it) on its PostgreSQL server."""
    url = sa.engine.make_url(url)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()
