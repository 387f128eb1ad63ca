"""docker-compose.yml and the Dockerfile agree with the code (no Docker engine is
needed: the files are read and checked against the services' configuration)."""
import re
import tomllib

import pytest
import yaml

from shared.cli import build_parser
from shared.config import DEFAULT_PORTS, ROOT, SERVICES

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
READ_BY_CODE = set(re.findall(r"MOTCUA_[A-Z0-9_]+", "".join(
    p.read_text(encoding="utf-8") for p in list((ROOT / "shared").glob("*.py")) + list((ROOT / "services").rglob("*.py"))
    + list((ROOT / "services").glob("*/config.yaml")))))


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_runs_from_the_one_image_on_its_port(service):
    spec = COMPOSE["services"][service]
    assert spec["build"] == "."
    args = build_parser().parse_args(spec["command"])
    assert args.command == "serve" and args.service == service
    assert f"{DEFAULT_PORTS[service]}:{DEFAULT_PORTS[service]}" in spec["ports"]
    assert {"rabbitmq", "postgres"} <= set(spec["depends_on"])
    assert all(spec["depends_on"][dep]["condition"] == "service_healthy" for dep in ("rabbitmq", "postgres"))


@pytest.mark.parametrize("name,spec", [(n, s) for n, s in COMPOSE["services"].items() if s.get("build")])
def test_every_variable_given_is_one_the_code_reads(name, spec):
    unknown = {k for k in spec.get("environment", {}) if k.startswith("MOTCUA_")} - READ_BY_CODE
    assert not unknown, f"{name} sets variables no code reads: {unknown}"


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


def test_dockerfile_entrypoint_is_the_installed_command():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    entry = re.search(r'ENTRYPOINT \["([^"]+)"', dockerfile).group(1)
    assert entry in scripts
    for copied in re.findall(r"^COPY (\S+)", dockerfile, re.M):
        assert (ROOT / copied).exists(), copied
