"""`motcua broker setup`: one RabbitMQ user per service, each allowed only its own part
of the broker, and the whole topology declared by the administrator.

A service's user may
- configure (declare, delete) only its own exchanges (`<service>.events`, `.redeliver`,
  `.dead-letters`, `.retry.<ms>ms`), its own queues (its handler queues, dead letters,
  retry queues, its RPC queue and RPC reply queues) and the `nameko-rpc` exchange
  (nameko declares it on every start);
- write (publish, bind into) only those exchanges and queues, and `nameko-rpc`;
- read (consume, bind from) only its own queues and exchanges, the other services'
  `.events` exchanges (to bind its handler queues to them) and `nameko-rpc`.
Nobody gets the default exchange: writing to it drops a message into any queue.
On `nameko-rpc` (a topic exchange) topic permissions narrow the routing keys: a
service binds only its own RPC queue (`<service>.*`) and reply queues (a uuid) and
publishes requests to services and replies; a department system publishes only
`processing.decide_task` requests and binds only its reply queue.

A department system's user (`--department D`) reads its task queue
`processing.tasks.D` (declared here: it may not configure it) and calls processing
over RPC.

The administrator acts through rabbitmqctl (a broker on this machine) or the
management HTTP API. Running it again gives the same result: existing users keep
their password unless one is given or --reset-passwords is passed.
"""

import json
import os
import re
import secrets
import shutil
import subprocess
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import kombu

from shared import config, messaging

RPC_EXCHANGE = "nameko-rpc"
DEFAULT_USER_PREFIX = "motcua-"
# nameko's RPC replies are routed by a uuid4 (the reply queue's routing key)
UUID_RE = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
DEPARTMENT_RE = re.compile(r"^[A-Za-z0-9_]{1,40}$")


def _any_of(*patterns):
    return "^(" + "|".join(patterns) + ")$"


@dataclass
class Grant:
    user: str
    configure: str
    write: str
    read: str
    topic: dict[str, tuple[str, str]] = field(default_factory=dict)  # exchange -> (write, read)


def service_grant(service, user, services=config.SERVICES):
    s = re.escape(service)
    own_exchanges = [f"{s}\\.events", f"{s}\\.redeliver", f"{s}\\.dead-letters", f"{s}\\.retry\\.[0-9]+ms"]
    own_queues = [
        f"evt-.+--{s}\\..+",
        f"{s}\\.dead-letters",
        f"{s}\\.retry\\.[0-9]+ms",
        f"rpc-{s}",
        f"rpc\\.reply-{s}-{UUID_RE}",
    ]
    if service == "processing":  # the automated departments' task exchange and queues
        own_exchanges.append("processing\\.tasks")
        own_queues.append("processing\\.tasks\\..+")
    rpc = re.escape(RPC_EXCHANGE)
    sources = [f"{re.escape(other)}\\.events" for other in services if other != service]
    callees = "|".join(re.escape(other) for other in services)
    return Grant(
        user=user,
        configure=_any_of(*own_exchanges, *own_queues, rpc),
        write=_any_of(*own_exchanges, *own_queues, rpc),
        read=_any_of(*own_exchanges, *own_queues, *sources, rpc),
        topic={RPC_EXCHANGE: (_any_of(f"({callees})\\.[A-Za-z_]+", UUID_RE), _any_of(f"{s}\\.\\*", UUID_RE))},
    )


def department_grant(department, user):
    reply_queue = f"rpc\\.reply-standalone_rpc_proxy-{UUID_RE}"
    rpc = re.escape(RPC_EXCHANGE)
    return Grant(
        user=user,
        configure=_any_of(reply_queue, rpc),
        write=_any_of(reply_queue, rpc),
        read=_any_of(re.escape(f"processing.tasks.{department}"), reply_queue, rpc),
        topic={RPC_EXCHANGE: (_any_of("processing\\.decide_task"), _any_of(UUID_RE))},
    )


class Rabbitmqctl:
    """The administrator on the broker's own machine. Passwords go through stdin,
    never the command line (which other local users can read)."""

    where = "rabbitmqctl"

    def __init__(self, executable=None):
        self.ctl: str = executable or shutil.which("rabbitmqctl") or ""
        if not self.ctl:
            raise RuntimeError("rabbitmqctl not found: run this on the broker's machine, or pass --management-url")

    def _run(self, *args, stdin=None):
        done = subprocess.run([self.ctl, "-q", *args], input=stdin, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {args[0]} failed: {(done.stderr or done.stdout).strip()}")
        return done.stdout

    def vhost_exists(self, vhost):
        return any(v["name"] == vhost for v in json.loads(self._run("list_vhosts", "--formatter", "json") or "[]"))

    def add_vhost(self, vhost):
        self._run("add_vhost", vhost)

    def user_exists(self, user):
        return any(u["user"] == user for u in json.loads(self._run("list_users", "--formatter", "json") or "[]"))

    def add_user(self, user, password):
        self._run("add_user", user, stdin=password)

    def change_password(self, user, password):
        self._run("change_password", user, stdin=password)

    def delete_user(self, user):
        self._run("delete_user", user)

    def set_permissions(self, vhost, user, configure, write, read):
        self._run("set_permissions", "-p", vhost, user, configure, write, read)

    def set_topic_permissions(self, vhost, user, exchange, write, read):
        self._run("set_topic_permissions", "-p", vhost, user, exchange, write, read)


class ManagementApi:
    """The administrator through the management plugin's HTTP API
    (http://admin:password@host:15672)."""

    def __init__(self, url):
        import requests

        self.requests = requests
        parts = urlsplit(url)
        if not parts.hostname:
            raise RuntimeError(f"not a management API URL: {url!r}")
        self.base = urlunsplit(
            (parts.scheme, parts.hostname + (f":{parts.port}" if parts.port else ""), parts.path.rstrip("/"), "", "")
        )
        self.auth = (unquote(parts.username or "guest"), unquote(parts.password or "guest"))
        self.where = f"management API {self.base}"

    def _call(self, method, path, body=None, ok=(200, 201, 204)):
        answer = self.requests.request(method, self.base + "/api/" + path, auth=self.auth, json=body, timeout=15)
        if answer.status_code not in ok:
            raise RuntimeError(f"{method} /api/{path}: {answer.status_code} {answer.text[:200]}")
        return answer

    def vhost_exists(self, vhost):
        return self._call("GET", f"vhosts/{quote(vhost, safe='')}", ok=(200, 404)).status_code == 200

    def add_vhost(self, vhost):
        self._call("PUT", f"vhosts/{quote(vhost, safe='')}")

    def user_exists(self, user):
        return self._call("GET", f"users/{quote(user, safe='')}", ok=(200, 404)).status_code == 200

    def add_user(self, user, password):
        self._call("PUT", f"users/{quote(user, safe='')}", {"password": password, "tags": ""})

    change_password = add_user

    def delete_user(self, user):
        self._call("DELETE", f"users/{quote(user, safe='')}", ok=(200, 204, 404))

    def set_permissions(self, vhost, user, configure, write, read):
        self._call(
            "PUT",
            f"permissions/{quote(vhost, safe='')}/{quote(user, safe='')}",
            {"configure": configure, "write": write, "read": read},
        )

    def set_topic_permissions(self, vhost, user, exchange, write, read):
        self._call(
            "PUT",
            f"topic-permissions/{quote(vhost, safe='')}/{quote(user, safe='')}",
            {"exchange": exchange, "write": write, "read": read},
        )


def administrator(management_url=None):
    return ManagementApi(management_url) if management_url else Rabbitmqctl()


def read_password_file(path):
    """`name=password` per line (name: a service, `department-D`, or the full user
    name); blank lines and # comments ignored."""
    passwords = {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, sep, password = line.partition("=")
            if not sep or not name.strip() or not password.strip():
                raise ValueError(f"{path}:{number}: expected name=password")
            passwords[name.strip()] = password.strip()
    return passwords


def _env_name(name):
    return "MOTCUA_BROKER_PASSWORD_" + re.sub(r"[^A-Z0-9]", "_", name.upper())


def system_topology(departments=()):
    """Every exchange, queue and binding of the system (all services' handler queues,
    their own exchanges, retry and dead-letter queues, the departments' task queues)."""
    from services.processing.adapters import task_queue as automation
    from shared.runner import service_class

    entities: list = [kombu.Exchange(RPC_EXCHANGE, type="topic", durable=True)]
    for service in config.SERVICES:
        try:
            delays = config.load_config(service).get("RETRY_DELAYS_MS") or messaging.DEFAULT_RETRY_DELAYS_MS
        except (OSError, ValueError):
            delays = messaging.DEFAULT_RETRY_DELAYS_MS
        entities += messaging.service_queues(service, [int(d) for d in delays])
        entities += messaging.service_consumer_queues(service_class(service), service)
    entities.append(automation.tasks_exchange())
    entities += [automation.task_queue(d) for d in departments]
    return entities


def amqp_uri_for(admin_uri, user, password):
    parts = urlsplit(admin_uri)
    host = parts.hostname or "127.0.0.1"
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme or "amqp", netloc, parts.path or "/", "", ""))


def vhost_of(amqp_uri):
    path = urlsplit(amqp_uri).path
    return unquote(path[1:]) if len(path) > 1 else "/"


def setup(
    admin,
    admin_uri,
    user_prefix=DEFAULT_USER_PREFIX,
    departments=(),
    passwords=None,
    create_vhost=False,
    reset_passwords=False,
    environ=os.environ,
    out=print,
):
    """Create the users, grant their permissions, declare the topology; returns
    {name: AMQP URI, or None when an existing user kept its unknown password}."""
    passwords = dict(passwords or {})
    vhost = vhost_of(admin_uri)
    for department in departments:
        if not DEPARTMENT_RE.match(department):
            raise ValueError(f"not a department code: {department!r}")
    if admin.vhost_exists(vhost):
        out(f"vhost {vhost}: exists")
    elif create_vhost:
        admin.add_vhost(vhost)
        admin_user = unquote(urlsplit(admin_uri).username or "guest")
        admin.set_permissions(vhost, admin_user, ".*", ".*", ".*")
        out(f"vhost {vhost}: created (administrator {admin_user} may configure it)")
    else:
        raise RuntimeError(f"vhost {vhost} does not exist: pass --create-vhost")

    grants = {service: service_grant(service, user_prefix + service) for service in config.SERVICES}
    grants.update({f"department-{d}": department_grant(d, f"{user_prefix}department-{d}") for d in departments})
    uris = {}
    for name, grant in grants.items():
        password = passwords.get(name) or passwords.get(grant.user) or environ.get(_env_name(name))
        if admin.user_exists(grant.user):
            if password or reset_passwords:
                password = password or secrets.token_urlsafe(24)
                admin.change_password(grant.user, password)
                out(f"user {grant.user}: exists, password set")
            else:
                out(f"user {grant.user}: exists, password unchanged")
        else:
            generated = not password
            password = password or secrets.token_urlsafe(24)
            admin.add_user(grant.user, password)
            out(f"user {grant.user}: created" + (" (password generated)" if generated else ""))
        admin.set_permissions(vhost, grant.user, grant.configure, grant.write, grant.read)
        out(f"  permissions on {vhost}: configure {grant.configure}")
        out(f"                  write {grant.write}")
        out(f"                  read {grant.read}")
        for exchange, (write, read) in grant.topic.items():
            admin.set_topic_permissions(vhost, grant.user, exchange, write, read)
            out(f"  topic permissions on {exchange}: write {write} read {read}")
        uris[name] = amqp_uri_for(admin_uri, grant.user, password) if password else None

    entities = system_topology(departments)
    with kombu.Connection(admin_uri, connect_timeout=10) as conn:
        messaging.declare(conn, entities)
    queues = [e for e in entities if isinstance(e, kombu.Queue)]
    out(f"topology of {vhost}: declared {len(queues)} queues and their exchanges and bindings")
    return uris
