"""(being written)"""
from __future__ import annotations


def write_blank(session, request, run, out) -> None:
    raise NotImplementedError


def write_annotated(session, request, run, out) -> None:
    raise NotImplementedError
