"""The service container: one Database and the services built on it."""

from __future__ import annotations

from labledger.core.settings import Settings
from labledger.services.runs import RunService
from labledger.services.search import SearchService
from labledger.store.database import Database, sqlite_uri_for_dir
from labledger.store.schema import current_revision, ensure_current, head_revision


def db_uri_for(settings: Settings) -> str:
    if settings.db_uri:
        return settings.db_uri
    return sqlite_uri_for_dir(settings.local_dir())


class Tracker:
    """Everything a transport or route needs; built once per process (or per app)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.runs = RunService(db)
        self.search = SearchService(db)

    @classmethod
    def open(cls, uri: str, *, check_schema: bool = True) -> Tracker:
        db = Database(uri)
        if check_schema:
            try:
                ensure_current(db)
            except Exception:
                db.dispose()
                raise
        return cls(db)

    @classmethod
    def from_settings(cls, settings: Settings) -> Tracker:
        return cls.open(db_uri_for(settings))

    def schema_status(self) -> tuple[str | None, str]:
        """(current revision, revision this code needs)."""
        return current_revision(self.db), head_revision()

    def close(self) -> None:
        self.db.dispose()
