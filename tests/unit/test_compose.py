"""docker-compose.yml and the Dockerfile agree with the code (no Docker engine is
needed: the files are read and checked against the services' configuration)."""

import re
import tomllib

import pytest
import yaml

from shared.cli import build_parser
from shared.config import DEFAULT_PORTS, ROOT, SERVICES
from shared.secret_policy import KNOWN_DEFAULTS

COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")


class ComposeLoader(yaml.SafeLoader):
    """SafeLoader without nameko's ${VAR:default} resolver (shared.config installs it):
    the ${VAR} of this file are compose's own interpolation, kept as written."""


ComposeLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "!env_var"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
COMPOSE = yaml.load(COMPOSE_TEXT, Loader=ComposeLoader)
# What compose must take from its own environment, refusing to start without it.
SECRETS = (
    "MOTCUA_JWT_SECRET",
    "MOTCUA_CARRIER_SECRET",
    "MOTCUA_CARRIER_API_KEY",
    "MOTCUA_SMS_GATEWAY_KEY",
    "MOTCUA_SMS_GATEWAY_SECRET",
    "MOTCUA_PAYMENT_SECRET",
    "MOTCUA_POSTGRES_PASSWORD",
    "MOTCUA_RABBITMQ_USER",
    "MOTCUA_RABBITMQ_PASSWORD",
)
READ_BY_CODE = set(
    re.findall(
        r"MOTCUA_[A-Z0-9_]+",
        "".join(
            p.read_text(encoding="utf-8")
            for p in list((ROOT / "shared").glob("*.py"))
            + list((ROOT / "services").rglob("*.py"))
            + list((ROOT / "devtools").glob("*.py"))
            + list((ROOT / "services").glob("*/config.yaml"))
        ),
    )
)


def as_run(command):
    """A command as compose runs it when its variables are not set (their defaults)."""
    return [re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", arg) for arg in command]


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_runs_from_the_one_image_on_its_port(service):
    spec = COMPOSE["services"][service]
    assert spec["build"] == "."
    args = build_parser().parse_args(as_run(spec["command"]))
    assert args.command == "serve" and args.service == service
    # MOTCUA_PROCESSES runs several processes of it, one by default
    assert "${MOTCUA_PROCESSES:-1}" in spec["command"] and args.processes == 1
    # published on the host's loopback only: a reverse proxy with TLS fronts them
    assert spec["ports"] == [f"127.0.0.1:{DEFAULT_PORTS[service]}:{DEFAULT_PORTS[service]}"]
    assert spec["environment"]["MOTCUA_BIND"] == "0.0.0.0"  # inside the container: its own interface
    assert {"rabbitmq", "postgres"} <= set(spec["depends_on"])
    assert all(spec["depends_on"][dep]["condition"] == "service_healthy" for dep in ("rabbitmq", "postgres"))


@pytest.mark.parametrize("name,spec", [(n, s) for n, s in COMPOSE["services"].items() if s.get("build")])
def test_every_variable_given_is_one_the_code_reads(name, spec):
    unknown = {k for k in spec.get("environment", {}) if k.startswith("MOTCUA_")} - READ_BY_CODE
    assert not unknown, f"{name} sets variables no code reads: {unknown}"


def test_the_web_serves_on_its_port_and_calls_the_apis_by_their_compose_names():
    spec = COMPOSE["services"]["web"]
    assert build_parser().parse_args(spec["command"]).service == "web"
    assert spec["ports"] == [f"127.0.0.1:{DEFAULT_PORTS['web']}:{DEFAULT_PORTS['web']}"]
    env = spec["environment"]
    for service in SERVICES:
        assert env[f"MOTCUA_{service.upper()}_URL"] == f"http://{service}:{DEFAULT_PORTS[service]}"
        assert service in spec["depends_on"]
    assert env["MOTCUA_WEB_SECURE_COOKIE"] == "true" and "MOTCUA_JWT_SECRET" in env
    # intake trusts exactly the web's fixed address as the proxy of the citizens' lookups
    web_address = spec["networks"]["default"]["ipv4_address"]
    assert COMPOSE["services"]["intake"]["environment"]["MOTCUA_TRUSTED_PROXIES"] == web_address


def test_backends_have_health_checks():
    for backend in ("rabbitmq", "postgres"):
        assert COMPOSE["services"][backend]["healthcheck"]["test"]


def test_callbacks_and_carrier_urls_point_at_compose_services():
    env = COMPOSE["services"]["postal"]["environment"]
    assert env["MOTCUA_CARRIER_URL"].startswith("http://carrier-sim:")
    assert env["MOTCUA_POSTAL_CALLBACK_URL"] == f"http://postal:{DEFAULT_PORTS['postal']}/api/carrier/callback"
    sim = COMPOSE["services"]["carrier-sim"]
    assert build_parser().parse_args(sim["command"]).command == "carrier-sim"


def test_notify_sends_through_the_compose_mail_catcher_and_gateway():
    spec = COMPOSE["services"]["notify"]
    env = spec["environment"]
    assert env["MOTCUA_EMAIL_BACKEND"] == "smtp" and env["MOTCUA_SMTP_HOST"] == "mailcatcher"
    assert env["MOTCUA_SMS_GATEWAY_URL"].startswith("http://sms-gateway-sim:")
    assert "mailcatcher" in spec["depends_on"] and "MOTCUA_AMQP_URI" in env  # the shared settings are kept
    gateway = build_parser().parse_args(COMPOSE["services"]["sms-gateway-sim"]["command"])
    assert gateway.command == "sms-gateway-sim" and gateway.receipt_url.startswith("http://notify:")


def test_payments_talks_to_the_compose_gateway_simulator_and_back():
    env = COMPOSE["services"]["payments"]["environment"]
    assert env["MOTCUA_PAYMENT_GATEWAY_URL"].startswith("http://payment-gateway-sim:")
    sim = build_parser().parse_args(COMPOSE["services"]["payment-gateway-sim"]["command"])
    assert sim.command == "payment-gateway-sim"
    assert sim.ipn_url == f"http://payments:{DEFAULT_PORTS['payments']}/api/payments/ipn"


def test_dockerfile_entrypoint_is_the_installed_command():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    entry = re.search(r'ENTRYPOINT \["([^"]+)"', dockerfile).group(1)
    assert entry in scripts
    for copied in re.findall(r"^COPY (\S+)", dockerfile, re.M):
        assert (ROOT / copied).exists(), copied


def dockerfile_stages():
    """{stage name: its lines}, in the Dockerfile's order."""
    stages = {}
    for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        start = re.match(r"FROM \S+ AS (\S+)", line)
        if start:
            stages[start.group(1)] = current = []
        elif stages:
            current.append(line)
    return stages


def test_the_production_image_has_no_development_tools():
    stages = dockerfile_stages()
    assert list(stages)[-1] == "production"  # what `docker build .` (and compose's `build: .`) makes
    assert re.fullmatch(
        r"FROM base AS production", (ROOT / "Dockerfile").read_text(encoding="utf-8").strip().splitlines()[-1]
    )
    assert not any("devtools" in line for line in stages["base"] if not line.startswith("#"))
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert not any(p.startswith("devtools") for p in packages["packages"]["find"]["include"])
    for simulator, command in (("carrier-sim", "carrier-sim"), ("sms-gateway-sim", "sms-gateway-sim")):
        assert COMPOSE["services"][simulator]["build"] == {"context": ".", "target": "devtools"}
        assert COMPOSE["services"][simulator]["command"][0] == command


@pytest.mark.parametrize("backend", ["rabbitmq", "postgres", "mailcatcher", "carrier-sim", "sms-gateway-sim"])
def test_no_backend_or_simulator_port_is_published(backend):
    spec = COMPOSE["services"][backend]
    assert "ports" not in spec and "network_mode" not in spec


@pytest.mark.parametrize("variable", SECRETS)
def test_every_secret_comes_from_the_environment_without_a_default(variable):
    uses = re.findall(r"\$\{" + variable + r"(\W[^}]*)?\}", COMPOSE_TEXT)
    assert uses, f"{variable} is not used"
    assert all(use.startswith(":?") for use in uses), f"{variable}: {uses} (want ${{{variable}:?message}})"


def test_no_published_default_secret_and_no_guest_user():
    written = yaml.safe_dump(COMPOSE)  # the settings, without the comments
    assert "guest" not in written.lower()
    values = re.sub(r"\$\{[^}]*\}", "", written)  # what the file itself gives, not the environment
    assert not [d for d in KNOWN_DEFAULTS if re.search(rf"(?<![\w-]){re.escape(d)}(?![\w-])", values)]
    rabbit = COMPOSE["services"]["rabbitmq"]["environment"]
    assert rabbit["RABBITMQ_DEFAULT_USER"].startswith("${MOTCUA_RABBITMQ_USER:?")
    assert rabbit["RABBITMQ_DEFAULT_PASS"].startswith("${MOTCUA_RABBITMQ_PASSWORD:?")
    uri = COMPOSE["services"]["intake"]["environment"]["MOTCUA_AMQP_URI"]
    assert uri.startswith("amqp://${MOTCUA_RABBITMQ_USER:?") and ":${MOTCUA_RABBITMQ_PASSWORD:?" in uri
    database = COMPOSE["services"]["intake"]["environment"]["MOTCUA_DATABASE_URL"]
    assert ":${MOTCUA_POSTGRES_PASSWORD:?" in database
    assert COMPOSE["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith(
        "${MOTCUA_POSTGRES_PASSWORD:?"
    )


def test_nothing_runs_in_development_mode():
    for name, spec in COMPOSE["services"].items():
        assert "MOTCUA_ENV" not in spec.get("environment", {}), name
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^ENV .*MOTCUA_ENV=production", dockerfile, re.M)  # `motcua up` in the image too
