"""The client of the third parties on the hot paths (shared/outbound.py) against a
real HTTP server: JSON both ways, the query string, an answer of any status handed
back, a redirect named and not followed, no answer told apart from a slow one, and
the proxy the environment names, and calls side by side keeping their connections."""

import http.server
import json
import time

import eventlet
import pytest
import urllib3

from shared.outbound import CONNECTIONS_PER_HOST, Client, OutboundError, pool_for
from tests.system import free_port


class Server(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        if self.path.startswith("/slow"):
            time.sleep(2)
        if self.path.startswith("/moved"):
            return self.answer(302, b"", {"Location": "https://dvc.example.vn/api"})
        if self.path.startswith("/refused"):
            return self.answer(422, "Sai số điện thoại".encode(), {})
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        seen = {"path": self.path, "body": body, "type": self.headers["Content-Type"], "key": self.headers["X-Key"]}
        self.answer(200, json.dumps(seen).encode(), {"Content-Type": "application/json"})

    def answer(self, status, body, headers):
        self.send_response(status)
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def base_url():
    server = http.server.HTTPServer(("127.0.0.1", free_port()), Server)
    thread = eventlet.spawn(server.serve_forever)
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    thread.wait()


def test_json_goes_out_with_the_query_and_headers_and_comes_back(base_url):
    answer = Client(base_url, 5).request(
        "POST", "/api/x", json={"tên": "Nguyễn Văn A"}, params={"a": "1 2"}, headers={"X-Key": "k"}
    )
    assert answer.status == 200 and answer.redirect is None
    assert answer.json() == {
        "path": "/api/x?a=1+2",
        "body": {"tên": "Nguyễn Văn A"},
        "type": "application/json",
        "key": "k",
    }


def test_any_status_is_an_answer_and_a_redirect_is_named_not_followed(base_url):
    refused = Client(base_url, 5).request("POST", "/refused")
    assert (refused.status, refused.text) == (422, "Sai số điện thoại")
    moved = Client(base_url, 5).request("POST", "/moved")
    assert (moved.status, moved.redirect) == (302, "https://dvc.example.vn/api")


def test_no_answer_is_told_apart_from_a_slow_one(base_url):
    with pytest.raises(OutboundError) as slow:
        Client(base_url, 0.5).request("POST", "/slow", json={})
    assert slow.value.timed_out
    with pytest.raises(OutboundError) as nobody:
        Client(f"http://127.0.0.1:{free_port()}", 5).request("POST", "/x", json={})
    assert not nobody.value.timed_out and str(nobody.value) == "unreachable: NewConnectionError"


def test_the_proxy_of_the_environment_is_used_unless_the_host_is_exempt(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.tinh.gov.vn:3128")
    monkeypatch.setenv("NO_PROXY", "sms.noibo.vn")
    through = pool_for("https://sms.example.vn/messages")
    assert isinstance(through, urllib3.ProxyManager) and through.proxy.host == "proxy.tinh.gov.vn"
    assert not isinstance(pool_for("https://sms.noibo.vn/messages"), urllib3.ProxyManager)
    assert not isinstance(pool_for("http://sms.example.vn/messages"), urllib3.ProxyManager)


class KeptAlive(http.server.BaseHTTPRequestHandler):
    """HTTP/1.1: a connection stays open between calls; each call's connection is noted."""

    protocol_version = "HTTP/1.1"
    peers = set()

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        eventlet.sleep(0.05)  # the calls overlap
        self.peers.add(self.client_address)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_calls_side_by_side_keep_their_connections_for_the_next_ones():
    """A batch's messages go out side by side; the next batch finds the connections
    open instead of opening (and the server accepting) one for each call again."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), KeptAlive)
    thread = eventlet.spawn(server.serve_forever)
    client = Client(f"http://127.0.0.1:{server.server_address[1]}", 5)

    def side_by_side():
        calls = eventlet.GreenPool()
        answers = calls.imap(lambda _: client.request("POST", "/sms", json={}), range(CONNECTIONS_PER_HOST))
        assert [answer.status for answer in answers] == [204] * CONNECTIONS_PER_HOST

    try:
        side_by_side()
        first = set(KeptAlive.peers)
        side_by_side()
        assert len(first) == CONNECTIONS_PER_HOST and KeptAlive.peers == first
    finally:
        server.shutdown()
        server.server_close()
        thread.wait()
