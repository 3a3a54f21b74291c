"""Shared by the API tests: the JSON client, URLs, role names and an audit query."""
from __future__ import annotations

ROLES = ("admin", "investigator", "coordinator", "monitor", "data_manager", "sponsor")
API = "/api/v1"
VS_API = API + "/subjects/{key}/events/SE.SCREENING/forms/F.VS"
BROKEN = ("anonymous", "invalid", "expired", "revoked", "inactive")


class Api:
    """A test client speaking JSON with a bearer token."""

    def __init__(self, client):
        self.client = client

    def _headers(self, token, headers):
        out = dict(headers or {})
        if token:
            out.setdefault("Authorization", f"Bearer {token}")
        return out

    def get(self, url, token=None, headers=None, **kw):
        return self.client.get(url, headers=self._headers(token, headers), **kw)

    def put(self, url, body=None, token=None, headers=None, **kw):
        if "data" not in kw:
            kw["json"] = body
        return self.client.put(url, headers=self._headers(token, headers), **kw)

    def request(self, method, url, token=None, **kw):
        return self.client.open(url, method=method, headers=self._headers(token, kw.pop("headers", None)), **kw)


def audit_rows(app, **where):
    """Audit records matching column=value filters, oldest first."""
    from sqlalchemy import select

    from ecrf.audit.models import AuditEvent
    from ecrf.infra.extensions import db

    with app.app_context():
        stmt = select(AuditEvent).filter_by(**where).order_by(AuditEvent.seq)
        rows = db.session.scalars(stmt).all()
        db.session.expunge_all()
        return rows
