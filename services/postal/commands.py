"""postal's commands for `motcua` (none yet: the carrier simulator is a development tool, in devtools)."""

import argparse


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """postal adds no commands of its own."""
