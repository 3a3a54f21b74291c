"""Unbound Flask extensions, initialised in create_app."""
from __future__ import annotations

from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from flask_wtf import CSRFProtect
from sqlalchemy import inspect

from ecrf.errors import AuditBypassError
from ecrf.infra.db import Base


class AuditedSession(FlaskSession):
    """The app's session: the legacy bulk methods skip flush events, so they are refused on audited models."""

    def _refuse(self, mapper) -> None:
        cls = inspect(mapper).class_  # a class or its mapper
        if getattr(cls, "__audited__", False):
            raise AuditBypassError(f"bulk writes to {cls.__tablename__} would bypass the audit trail")

    def bulk_save_objects(self, objects, *args, **kwargs):
        objects = list(objects)
        for obj in objects:
            self._refuse(type(obj))
        return super().bulk_save_objects(objects, *args, **kwargs)

    def bulk_insert_mappings(self, mapper, mappings, *args, **kwargs):
        self._refuse(mapper)
        return super().bulk_insert_mappings(mapper, mappings, *args, **kwargs)

    def bulk_update_mappings(self, mapper, mappings):
        self._refuse(mapper)
        return super().bulk_update_mappings(mapper, mappings)


db = SQLAlchemy(model_class=Base, session_options={"class_": AuditedSession})
login_manager = LoginManager()
csrf = CSRFProtect()
