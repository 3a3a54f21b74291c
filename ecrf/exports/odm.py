"""(being written)"""
from __future__ import annotations


def write_snapshot(session, request, run, out) -> None:
    raise NotImplementedError


def write_transactional(session, request, run, out) -> None:
    raise NotImplementedError
