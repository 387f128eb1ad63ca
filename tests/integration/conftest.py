"""The integration tests publish under the services' own exchanges (`intake.events`,
...): a virtual host per module keeps their events from the e2e system that runs on
the session's."""

import pytest


@pytest.fixture(scope="module")
def amqp_uri(new_vhost, request):
    uri = new_vhost(request.module.__name__.rpartition(".")[2])
    yield uri
    new_vhost.delete(uri)
