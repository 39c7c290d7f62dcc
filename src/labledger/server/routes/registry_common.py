"""Path parameters and error answers the registry's routes share."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from labledger.core import registry
from labledger.server.schemas.registry import ALIAS, ENV, MODEL

ModelPath = Annotated[
    str,
    Path(
        description="A registered model's name.",
        json_schema_extra={"maxLength": registry.MAX_MODEL_NAME, "pattern": MODEL},
    ),
]
AliasPath = Annotated[
    str,
    Path(
        description="An alias (champion, staging, ...).",
        json_schema_extra={"maxLength": registry.MAX_ALIAS, "pattern": ALIAS},
    ),
]
EnvPath = Annotated[
    str,
    Path(
        description="A deployment environment (prod, staging, ...).",
        json_schema_extra={"maxLength": registry.MAX_ENV, "pattern": ENV},
    ),
]
VersionPath = Annotated[int, Path(description="A version number.", ge=1, le=registry.MAX_VERSION)]

MODEL_404 = (404, "No such model, or one you may not read (model_not_found).")
VERSION_404 = (404, "No such model or version (model_not_found, model_version_not_found).")
ROLE_403 = (403, "Your role in the model's project does not allow it (permission_denied).")
IN_USE_409 = (409, "The version holds an alias or is deployed (version_in_use).")
