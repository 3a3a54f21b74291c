"""(being written)"""
from __future__ import annotations


def write(session, request, run, out) -> None:
    raise NotImplementedError
