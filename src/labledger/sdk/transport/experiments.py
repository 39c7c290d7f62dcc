"""Projects as experiments: a project's tags, and making a project before any run is in
it (what an importer of another tracker's experiments needs).  Both implementations answer
``{"name", "tags", "deleted"}``."""

from __future__ import annotations

from typing import Any, Protocol


class ExperimentsTransport(Protocol):
    def find_experiment(self, name: str) -> dict[str, Any] | None:
        """The project named ``name``, or None when there is none."""
        ...

    def create_experiment(self, name: str, tags: dict[str, str]) -> dict[str, Any]:
        """A new, empty project with ``tags`` (ProjectExistsError if the name is taken)."""
        ...

    def set_experiment_tags(self, name: str, tags: dict[str, str]) -> None: ...
