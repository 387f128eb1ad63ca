"""A replica (a further process of a service) runs no timer: the first process sweeps."""

import eventlet

from shared.timer import every

TICKS = []


class Swept:
    name = "swept"

    @every("SWEEP_SECONDS", 5)
    def sweep(self):
        TICKS.append(self)


def ticks_within(container_factory, config, seconds=0.5):
    TICKS.clear()
    container = container_factory(Swept, {"SWEEP_SECONDS": 0.05, **config})
    container.start()
    eventlet.sleep(seconds)
    container.stop()
    return len(TICKS)


def test_the_first_process_sweeps_and_a_replica_does_not(container_factory):
    assert ticks_within(container_factory, {}) >= 3
    assert ticks_within(container_factory, {"REPLICA": True}) == 0
