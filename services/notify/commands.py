"""notify's commands for `motcua` (none yet: the SMS gateway simulator is a development tool, in devtools)."""

import argparse


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """notify adds no commands of its own."""
