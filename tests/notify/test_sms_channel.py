"""The HTTP SMS channel against real HTTP servers: the gateway simulator, a server
that redirects, a port where nothing listens: each answer its outcome."""

import http.server
import uuid

import eventlet

from services.notify.adapters.channels import HttpSmsGateway
from services.notify.domain.model import Outgoing
from tests.system import free_port


class Redirect(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.send_response(301)
        self.send_header("Location", "https://sms.example.vn/messages")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def channel(url, timeout=10, key="gateway-key"):
    return HttpSmsGateway({"SMS_GATEWAY_URL": url, "SMS_GATEWAY_KEY": key, "SMS_TIMEOUT_SECONDS": timeout})


def sms(phone="0912345678", text="Hồ sơ đã được tiếp nhận"):
    code = "000.00.01.H56-261126-0001"
    return Outgoing(id=str(uuid.uuid4()), channel="sms", dossier_code=code, address=phone, body=text)


def test_the_gateway_takes_the_message_with_its_key_and_idempotency_key(gateway):
    message = sms(phone="0900000002")
    outcome = channel(gateway.url).send(message)
    assert outcome.status in ("accepted", "delivered") and outcome.provider_ref
    [sent] = [s for s in gateway.sent if s["to"] == "0900000002"]
    assert sent["text"] == "Hồ sơ đã được tiếp nhận"
    assert [r for r in gateway.requests if r[0] == "0900000002"] == [("0900000002", message.id)]


def test_a_wrong_key_is_ours_to_fix_and_a_slow_answer_is_tried_again(gateway):
    assert channel(gateway.url, key="other").send(sms()).status == "technical"
    gateway.script("0900000001", ["slow"])
    outcome = channel(gateway.url, timeout=0.5).send(sms(phone="0900000001"))
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
