"""LabLedger: the experiment tracker whose records you can trust.

``import labledger`` is cheap: no web framework, no SQLAlchemy.  The embedded store and the
HTTP client are loaded on first use.
"""

from __future__ import annotations

__version__ = "0.1.0"
