"""RegistrySearchService: model versions found with the search language of runs
(``core/registry_query.py``), among the projects the caller may read."""

from __future__ import annotations

from labledger.core.identity import Action
from labledger.core.paging import decode_page_token, encode_page_token
from labledger.core.registry_query import parse_registry_filter, parse_registry_order
from labledger.core.validation import check_page_size
from labledger.services.access import Guarded
from labledger.services.model_views import VersionPage, version_infos
from labledger.store import models as repo
from labledger.store import registry_search as search_repo

PAGE = "versions"
MAX_OFFSET = 1_000_000


class RegistrySearchService(Guarded):
    def search_versions(
        self,
        filter: str | None = None,  # noqa: A002 - the word every search API uses
        order_by: list[str] | None = None,
        *,
        limit: int = 100,
        page_token: str | None = None,
    ) -> VersionPage:
        """Versions matching ``filter`` (e.g. ``name = 'churn' and run.metrics.acc > 0.9``),
        newest first unless ``order_by`` says otherwise."""
        self.allow(Action.READ)
        node = parse_registry_filter(filter)
        order = parse_registry_order(order_by)
        limit = check_page_size(limit)
        offset = 0
        if page_token is not None:
            offset = int(
                decode_page_token(PAGE, page_token, lambda p: p.isdigit() and int(p) <= MAX_OFFSET)
            )
        visible = self.visible_projects()
        with self.db.read() as conn:
            ids = search_repo.search_version_ids(
                conn, node, order, projects_in=visible, offset=offset, limit=limit + 1
            )
            more = len(ids) > limit
            rows = repo.versions_by_id(conn, ids[:limit])
            found = version_infos(conn, rows)
        token = encode_page_token(PAGE, str(offset + limit)) if more else None
        return VersionPage(found, token)
