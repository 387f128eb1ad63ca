"""processing's commands for `motcua` (none yet: the example department system is a development tool,
in devtools)."""

import argparse


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """processing adds no commands of its own."""
