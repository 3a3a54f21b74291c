"""(being written) The system's signing identity and PAdES seals."""
from __future__ import annotations
