"""The service container: one Database and the services built on it."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import get_type_hints

from labledger.artifacts import BlobStore, open_blob_store
from labledger.core.identity import Principal
from labledger.core.settings import Settings
from labledger.services.access import ALLOW_EVERYONE, Guarded, Policy
from labledger.services.access_cache import AccessCache
from labledger.services.artifacts import ArtifactService
from labledger.services.audit import AuditService
from labledger.services.deployments import DeploymentService
from labledger.services.drift import DriftService
from labledger.services.experiments import ExperimentService
from labledger.services.lineage import LineageService
from labledger.services.logged_models import LoggedModelService
from labledger.services.logins import LoginService
from labledger.services.members import MemberService
from labledger.services.models import ModelService
from labledger.services.promotion import PromotionService
from labledger.services.provenance import ProvenanceService
from labledger.services.registry_search import RegistrySearchService
from labledger.services.roles import RolePolicy
from labledger.services.runs import RunService
from labledger.services.search import SearchService
from labledger.services.tokens import TokenService
from labledger.services.users import UserService
from labledger.services.webhooks import WebhookService
from labledger.store.database import Database, sqlite_uri_for_dir
from labledger.store.schema import current_revision, ensure_current, head_revision


def db_uri_for(settings: Settings) -> str:
    if settings.db_uri:
        return settings.db_uri
    return sqlite_uri_for_dir(settings.local_dir())


class Tracker:
    """Everything a transport or route needs; built once per process (or per app)."""

    # The services, one line each: every name annotated with a service class here is built
    # on the database and the blob store, judged by the same policy and bound to a principal
    # with the others (a new resource's service is one more line).
    runs: RunService
    search: SearchService
    artifacts: ArtifactService
    provenance: ProvenanceService
    users: UserService
    tokens: TokenService
    logins: LoginService
    members: MemberService
    audit: AuditService
    models: ModelService
    registry: RegistrySearchService
    promotion: PromotionService
    deployments: DeploymentService
    drift: DriftService
    lineage: LineageService
    webhooks: WebhookService
    experiments: ExperimentService
    logged_models: LoggedModelService

    def __init__(
        self,
        db: Database,
        blob_store: BlobStore,
        policy: Policy | None = None,
        *,
        auth: bool = False,
    ) -> None:
        """``policy`` judges every call; by default ``RolePolicy`` when ``auth`` (a server
        that asks for credentials), else everyone may do everything (an embedded store)."""
        self.db = db
        self.blob_store = blob_store
        cache = AccessCache(db) if auth else None
        if policy is None:
            policy = RolePolicy(db, cache) if auth else ALLOW_EVERYONE
        self.policy = policy
        self.auth = auth
        for name, kind in SERVICES.items():
            service = kind(db, blob_store)
            service.policy = policy
            service.access_cache = cache
            setattr(self, name, service)

    def services(self) -> tuple[Guarded, ...]:
        """Every service, in the order they are declared."""
        return tuple(getattr(self, name) for name in SERVICES)

    def for_principal(self, principal: Principal) -> Tracker:
        """The same store and policy, every service acting for ``principal``."""
        bound = copy.copy(self)
        for name in SERVICES:
            setattr(bound, name, getattr(self, name).as_principal(principal))
        return bound

    @classmethod
    def open(
        cls,
        uri: str,
        *,
        artifact_uri: str | None = None,
        s3_endpoint_url: str | None = None,
        check_schema: bool = True,
        policy: Policy | None = None,
        auth: bool = False,
    ) -> Tracker:
        """Open the database at ``uri`` and the blob store at ``artifact_uri`` (default: an
        ``artifacts`` folder beside a SQLite file, else the settings' default)."""
        if artifact_uri is None:
            artifact_uri = _default_artifact_uri(uri)
        blob_store = open_blob_store(artifact_uri, s3_endpoint_url=s3_endpoint_url)
        db = Database(uri)
        if check_schema:
            try:
                ensure_current(db)
            except Exception:
                db.dispose()
                raise
        return cls(db, blob_store, policy, auth=auth)

    @classmethod
    def from_settings(cls, settings: Settings, *, auth: bool = False) -> Tracker:
        """The store the settings name; ``auth`` as a server with credentials checks."""
        return cls.open(
            db_uri_for(settings),
            artifact_uri=settings.artifact_location(),
            s3_endpoint_url=settings.s3_endpoint_url,
            auth=auth,
        )

    def schema_status(self) -> tuple[str | None, str]:
        """(current revision, revision this code needs)."""
        return current_revision(self.db), head_revision()

    def close(self) -> None:
        self.db.dispose()


SERVICES: dict[str, type[Guarded]] = {
    name: kind
    for name, kind in get_type_hints(Tracker).items()
    if isinstance(kind, type) and issubclass(kind, Guarded)
}


def _default_artifact_uri(db_uri: str) -> str:
    if db_uri.startswith("sqlite:///"):
        return (Path(db_uri[len("sqlite:///") :]).parent / "artifacts").as_uri()
    return Settings().artifact_location()  # ./.labledger/artifacts, as the settings default
