"""`nashra …` subcommands: manage (being built)."""

from __future__ import annotations

import argparse
from typing import Any


def add_parsers(sub: argparse._SubParsersAction[Any]) -> None:
    """Add this area's subcommands to `nashra`."""
