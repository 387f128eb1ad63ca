"""The SMS gateway simulator's control API, which the lifecycle benchmark reads as
the citizens' phones: what reached them, in order, from a given point on."""

import eventlet
import pytest
import requests

from devtools.sms_gateway_sim import GatewaySimulator, make_server
from tests.system import free_port


@pytest.fixture
def gateway_url():
    server = make_server(GatewaySimulator(), port=free_port())
    thread = eventlet.spawn(server.serve_forever)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.wait()


def test_sent_since_lists_only_later_messages_in_order(gateway_url):
    for i in range(3):
        answer = requests.post(
            f"{gateway_url}/messages",
            json={"to": "0912345678", "text": f"tin {i}"},
            headers={"Idempotency-Key": f"k{i}"},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
    everything = requests.get(f"{gateway_url}/control/sent", timeout=10).json()["sent"]
    later = requests.get(f"{gateway_url}/control/sent", params={"since": 1}, timeout=10).json()["sent"]
    assert [s["text"] for s in everything] == ["tin 0", "tin 1", "tin 2"]
    assert later == everything[1:]
    assert everything[0]["at"] <= everything[1]["at"] <= everything[2]["at"]


def test_sent_since_must_be_a_whole_number(gateway_url):
    answer = requests.get(f"{gateway_url}/control/sent", params={"since": "abc"}, timeout=10)
    assert answer.status_code == 400
    assert "since" in answer.json()["error"]
