"""ecrf: electronic case report forms for an anti-CD19 CAR-T trial in refractory SLE.

The application is built by :func:`ecrf.app.create_app`; the layers are declared in pyproject.toml.
"""

__version__ = "0.1.0"
