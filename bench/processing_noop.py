"""The baseline of bench.processing_queues: a nameko service whose dossier_received
handler (same reliable handler, same broker) does nothing. Prints `ready`, then
`handled N in S` once it has seen N events.

  python -m bench.processing_noop AMQP_URI N
"""

import eventlet

import shared  # noqa: F401

eventlet.monkey_patch()

import sys  # noqa: E402
import time  # noqa: E402

from nameko.containers import ServiceContainer  # noqa: E402

from shared.messaging import handles  # noqa: E402

EXPECTED = int(sys.argv[2]) if len(sys.argv) > 2 else 0
seen = {"count": 0, "first": None}


class NoopConsumer:
    name = "bench_noop"

    @handles("intake", "dossier_received")
    def on_dossier_received(self, env):
        seen["first"] = seen["first"] or time.time()
        seen["count"] += 1
        if seen["count"] == EXPECTED:
            print(f"handled {EXPECTED} at {time.time()}", flush=True)


def main():
    container = ServiceContainer(
        NoopConsumer, {"AMQP_URI": sys.argv[1], "SERVICE": "bench_noop", "RETRY_DELAYS_MS": [1000], "max_workers": 10}
    )
    container.start()
    print("ready", flush=True)
    try:
        container.wait()
    except KeyboardInterrupt:
        container.stop()


if __name__ == "__main__":
    main()
