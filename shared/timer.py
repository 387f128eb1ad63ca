"""`@every("SWEEP_SECONDS", 5)`: the one timer of every service, a nameko timer whose
interval comes from the service's configuration (config.yaml, where an environment
variable may set it), read when the container sets up rather than when the class
is defined.

A replica (a further process of a service, `motcua serve --processes N`) runs no
timer: its sweeps are the first process's, so that no two processes sweep the same
rows at once."""

from __future__ import annotations

from typing import Any

from nameko.timer import Timer


class ConfiguredTimer(Timer):
    """nameko's timer with its interval, in seconds, read from config key `key`
    (`default` when the key is absent or empty)."""

    def __init__(self, key: str, default: float, **kwargs: Any) -> None:
        super().__init__(interval=default, **kwargs)
        self.key, self.default = key, default

    def setup(self) -> None:
        self.interval = interval_from(self.container.config, self.key, self.default)
        self.enabled = not self.container.config.get("REPLICA")
        super().setup()

    def start(self) -> None:
        if self.enabled:
            super().start()

    def stop(self) -> None:
        if self.enabled:
            super().stop()

    def kill(self) -> None:
        if self.enabled:
            super().kill()


def interval_from(config: dict[str, Any], key: str, default: float) -> float:
    value = config.get(key)
    if value is None or value == "":
        return float(default)
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{key} must be a number of seconds, not {value!r}") from None
    if seconds <= 0:
        raise ValueError(f"{key} must be a positive number of seconds, not {value!r}")
    return seconds


every = ConfiguredTimer.decorator
