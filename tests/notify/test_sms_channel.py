"""The HTTP SMS channel against real HTTP servers: the gateway simulator, a server
that redirects, a port where nothing listens: each answer its outcome."""

import http.server

import eventlet
import pytest

from devtools.sms_gateway_sim import GatewaySimulator, make_server
from services.notify.adapters.channels import HttpSmsGateway
from services.notify.domain.model import Outgoing
from tests.system import free_port


@pytest.fixture
def simulator():
    sim = GatewaySimulator(key="k", slow_seconds=2.0)
    server = make_server(sim, port=free_port())
    thread = eventlet.spawn(server.serve_forever)
    sim.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield sim
    server.shutdown()
    thread.wait()


class Redirect(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.send_response(301)
        self.send_header("Location", "https://sms.example.vn/messages")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def channel(url, timeout=10):
    return HttpSmsGateway({"SMS_GATEWAY_URL": url, "SMS_GATEWAY_KEY": "k", "SMS_TIMEOUT_SECONDS": timeout})


def sms(phone="0912345678", text="Hồ sơ đã được tiếp nhận"):
    return Outgoing(id="m-1", channel="sms", dossier_code="000.00.01.H56-261126-0001", address=phone, body=text)


def test_the_gateway_takes_the_message_with_its_key_and_idempotency_key(simulator):
    outcome = channel(simulator.url).send(sms())
    assert outcome.status in ("accepted", "delivered") and outcome.provider_ref
    [sent] = simulator.sent
    assert sent["to"] == "0912345678" and sent["text"] == "Hồ sơ đã được tiếp nhận"
    assert simulator.requests == [("0912345678", "m-1")]


def test_a_wrong_key_is_ours_to_fix_and_a_slow_answer_is_tried_again(simulator):
    wrong = HttpSmsGateway({"SMS_GATEWAY_URL": simulator.url, "SMS_GATEWAY_KEY": "other"})
    assert wrong.send(sms()).status == "technical"
    simulator.script("0900000001", ["slow"])
    outcome = channel(simulator.url, timeout=0.5).send(sms(phone="0900000001"))
    assert (outcome.status, outcome.reason) == ("temporary", "SMS gateway timed out")


def test_a_redirect_is_not_followed_but_named():
    server = http.server.HTTPServer(("127.0.0.1", free_port()), Redirect)
    thread = eventlet.spawn(server.serve_forever)
    try:
        outcome = channel(f"http://127.0.0.1:{server.server_address[1]}").send(sms())
    finally:
        server.shutdown()
        thread.wait()
    assert outcome.status == "technical"
    assert "301" in outcome.reason and "https://sms.example.vn/messages" in outcome.reason


def test_nothing_listening_is_unreachable_not_a_timeout():
    outcome = channel(f"http://127.0.0.1:{free_port()}").send(sms())
    assert outcome.status == "temporary"
    assert outcome.reason == "SMS gateway unreachable: NewConnectionError"
