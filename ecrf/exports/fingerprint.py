"""The study definition's fingerprint: a SHA-256 over everything it declares (events, forms, groups, items, code
lists, edit checks), printed on the blank CRF and the datasets' README so a reader can tell which definition a
file was made from."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from functools import cache

from ecrf.study.definition import Study


@cache
def definition_sha256(study: Study) -> str:
    checks = [{"id": c.id, "severity": c.severity.value, "item": c.item, "message": c.message, "reads": c.reads,
               "needs": c.needs, "first": c.first, "requires": c.requires} for c in study.checks]
    data = {"events": [asdict(e) for e in study.events], "forms": [asdict(f) for f in study.forms], "checks": checks}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
