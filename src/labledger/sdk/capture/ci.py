"""Which CI system runs this process, from the environment variables each system documents.

Supported: GitHub Actions, GitLab CI, Buildkite, CircleCI, Azure Pipelines and Jenkins.  The
environment is passed in (``os.environ`` is read only when nothing is, at call time), and
every value goes through :func:`~labledger.core.secrets.redact_value`, because
repository URLs such as Jenkins' ``GIT_URL`` may carry credentials.

Fields of :class:`CIInfo` mean the same in every system:

``pipeline_id``
    the whole pipeline run; it stays the same when one of its jobs is retried
    (GitHub run id, GitLab pipeline id, Buildkite build id, CircleCI pipeline id, Azure
    build id, Jenkins build number).
``build_id``
    the number or id the system shows for this execution; it may change on a retry
    (GitHub run number, GitLab job id, Buildkite job id, CircleCI job number, Azure job id).
``job``
    the job's name within the pipeline, also stable across retries; a parallel or
    per-stage part is appended after ``#`` (``train#2``).
``attempt``
    1 for the first attempt, 2 for the first retry (GitLab and Buildkite count retries from
    0 and are shifted); None where the system has no such variable.

:func:`ci_run_key` builds the default ``run_key`` from the commit, ``pipeline_id``, ``job``
and the run name, never from the attempt, so a retried job resumes its run.  Known limits:
GitHub matrix legs share ``GITHUB_JOB`` and a CircleCI pipeline's workflows may reuse job
names, so such runs need distinct run names; a Jenkins rebuild is a new build number and
therefore a new run.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from urllib.parse import quote

from labledger.core import limits
from labledger.core.secrets import redact_value

__all__ = ["CIInfo", "ci_run_key", "detect_ci"]


@dataclass(frozen=True)
class CIInfo:
    system: str
    pipeline_id: str | None = None
    build_id: str | None = None
    job: str | None = None
    attempt: str | None = None
    url: str | None = None
    commit: str | None = None
    branch: str | None = None
    repository: str | None = None

    def to_dict(self) -> dict[str, str]:
        """The fields that are set, as JSON-ready strings."""
        out: dict[str, str] = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if value is not None:
                out[field.name] = value
        return out


def _info(system: str, **values: str | None) -> CIInfo:
    clean = {name: redact_value(v) if v else None for name, v in values.items()}
    return CIInfo(system, **clean)


def _sub(name: str | None, part: str | None) -> str | None:
    return f"{name}#{part}" if name and part else name


def _from_zero(count: str | None) -> str | None:
    return str(int(count) + 1) if count and count.isdigit() else None


def _github(env: Mapping[str, str]) -> CIInfo | None:
    if env.get("GITHUB_ACTIONS") != "true":
        return None
    server = (env.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
    repo, run_id = env.get("GITHUB_REPOSITORY"), env.get("GITHUB_RUN_ID")
    return _info(
        "github-actions",
        pipeline_id=run_id,
        build_id=env.get("GITHUB_RUN_NUMBER"),
        job=env.get("GITHUB_JOB"),
        attempt=env.get("GITHUB_RUN_ATTEMPT"),
        url=f"{server}/{repo}/actions/runs/{run_id}" if repo and run_id else None,
        commit=env.get("GITHUB_SHA"),
        branch=env.get("GITHUB_HEAD_REF") or env.get("GITHUB_REF_NAME"),  # a PR's source
        repository=repo,
    )


def _gitlab(env: Mapping[str, str]) -> CIInfo | None:
    if env.get("GITLAB_CI") != "true":
        return None
    job_id, project_url = env.get("CI_JOB_ID"), env.get("CI_PROJECT_URL")
    fallback_url = f"{project_url}/-/jobs/{job_id}" if project_url and job_id else None
    return _info(
        "gitlab-ci",
        pipeline_id=env.get("CI_PIPELINE_ID"),
        build_id=job_id,  # a retried job is a new job with a new id, so key on its name
        job=env.get("CI_JOB_NAME"),
        attempt=_from_zero(env.get("CI_JOB_RETRY_COUNT")),
        url=env.get("CI_JOB_URL") or fallback_url,
        commit=env.get("CI_COMMIT_SHA"),
        branch=env.get("CI_COMMIT_BRANCH")
        or env.get("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME")
        or env.get("CI_COMMIT_REF_NAME"),
        repository=env.get("CI_PROJECT_PATH"),  # CI_REPOSITORY_URL carries the job token
    )


def _buildkite(env: Mapping[str, str]) -> CIInfo | None:
    if env.get("BUILDKITE") != "true":
        return None
    step = (
        env.get("BUILDKITE_STEP_KEY") or env.get("BUILDKITE_STEP_ID") or env.get("BUILDKITE_LABEL")
    )
    build_url, job_id = env.get("BUILDKITE_BUILD_URL"), env.get("BUILDKITE_JOB_ID")
    commit = env.get("BUILDKITE_COMMIT")
    return _info(
        "buildkite",
        pipeline_id=env.get("BUILDKITE_BUILD_ID"),
        build_id=job_id,
        job=_sub(step, env.get("BUILDKITE_PARALLEL_JOB")),
        attempt=_from_zero(env.get("BUILDKITE_RETRY_COUNT")),
        url=_sub(build_url, job_id),  # the build page, scrolled to this job
        commit=None if commit == "HEAD" else commit,  # HEAD: not resolved yet
        branch=env.get("BUILDKITE_BRANCH"),
        repository=env.get("BUILDKITE_REPO"),
    )


def _circleci(env: Mapping[str, str]) -> CIInfo | None:
    if env.get("CIRCLECI") != "true":
        return None
    parallel = env.get("CIRCLE_NODE_TOTAL") not in (None, "", "1")
    owner, name = env.get("CIRCLE_PROJECT_USERNAME"), env.get("CIRCLE_PROJECT_REPONAME")
    return _info(
        "circleci",
        # a rerun is a new workflow in the same pipeline
        pipeline_id=env.get("CIRCLE_PIPELINE_ID") or env.get("CIRCLE_WORKFLOW_ID"),
        build_id=env.get("CIRCLE_BUILD_NUM"),
        job=_sub(env.get("CIRCLE_JOB"), env.get("CIRCLE_NODE_INDEX") if parallel else None),
        url=env.get("CIRCLE_BUILD_URL"),
        commit=env.get("CIRCLE_SHA1"),
        branch=env.get("CIRCLE_BRANCH"),
        repository=f"{owner}/{name}" if owner and name else env.get("CIRCLE_REPOSITORY_URL"),
    )


def _azure(env: Mapping[str, str]) -> CIInfo | None:
    if (env.get("TF_BUILD") or "").lower() != "true":
        return None
    build_id, job_id = env.get("BUILD_BUILDID"), env.get("SYSTEM_JOBID")
    collection = env.get("SYSTEM_COLLECTIONURI") or env.get("SYSTEM_TEAMFOUNDATIONCOLLECTIONURI")
    project = env.get("SYSTEM_TEAMPROJECT")
    url = None
    if collection and project and build_id:
        url = f"{collection.rstrip('/')}/{quote(project)}/_build/results?buildId={build_id}"
        url += f"&view=logs&j={job_id}" if job_id else ""
    names = (env.get(v) for v in ("SYSTEM_STAGENAME", "SYSTEM_PHASENAME", "SYSTEM_JOBNAME"))
    branch = env.get("SYSTEM_PULLREQUEST_SOURCEBRANCH") or env.get("BUILD_SOURCEBRANCH")
    return _info(
        "azure-pipelines",
        pipeline_id=build_id,
        build_id=job_id,
        job=".".join(n for n in names if n) or None,  # stage.job.leg: the same on a retry
        attempt=env.get("SYSTEM_JOBATTEMPT"),
        url=url,
        commit=env.get("BUILD_SOURCEVERSION"),
        branch=branch.removeprefix("refs/heads/") if branch else None,
        repository=env.get("BUILD_REPOSITORY_NAME"),
    )


def _jenkins(env: Mapping[str, str]) -> CIInfo | None:
    # BUILD_NUMBER and JOB_NAME are common names; require a variable only Jenkins sets
    # (JENKINS_URL exists only when the root URL is configured, JENKINS_HOME always).
    if not (env.get("JENKINS_URL") or env.get("JENKINS_HOME")) or not env.get("BUILD_NUMBER"):
        return None
    branch = env.get("CHANGE_BRANCH") or env.get("BRANCH_NAME") or env.get("GIT_BRANCH")
    return _info(
        "jenkins",
        pipeline_id=env.get("BUILD_NUMBER"),
        build_id=env.get("BUILD_ID"),
        job=_sub(env.get("JOB_NAME"), env.get("STAGE_NAME")),
        url=env.get("BUILD_URL"),
        commit=env.get("GIT_COMMIT"),
        branch=branch.removeprefix("origin/") if branch else None,
        repository=env.get("GIT_URL"),
    )


_DETECTORS: tuple[Callable[[Mapping[str, str]], CIInfo | None], ...] = (
    _github,
    _gitlab,
    _buildkite,
    _circleci,
    _azure,
    _jenkins,
)


def detect_ci(env: Mapping[str, str] | None = None) -> CIInfo | None:
    """The CI system running this process, or None outside CI (``env`` defaults to
    ``os.environ``)."""
    environ: Mapping[str, str] = os.environ if env is None else env
    for detect in _DETECTORS:
        info = detect(environ)
        if info is not None:
            return info
    return None


# Each part is percent-encoded (so ":" only separates parts and the key is printable ASCII)
# and at most _PART_MAX characters: "ci:" + 5 parts + 4 separators <= 327 < MAX_RUN_KEY.
_PART_MAX = 64
_SAFE = "/@+#=,"
assert 3 + 5 * _PART_MAX + 4 <= limits.MAX_RUN_KEY


def _key_part(value: str | None) -> str:
    if not value:
        return ""
    part = quote(value, safe=_SAFE)
    if len(part) <= _PART_MAX:
        return part
    digest = hashlib.sha256(value.encode()).hexdigest()[:16]
    return f"{part[: _PART_MAX - 17]}~{digest}"


def ci_run_key(ci: CIInfo, run_name: str | None, commit: str | None = None) -> str:
    """The default run key in CI: ``ci:<system>:<commit>:<pipeline>:<job>:<run name>``.

    ``commit`` (from git capture) wins over the CI system's own.  The attempt is left out,
    so a retried job resumes its run; different commits, pipelines, jobs or names give
    different keys.  Long parts are shortened with a hash; the key always passes the
    server's run_key validation (non-empty, no NUL, at most ``MAX_RUN_KEY`` characters).
    """
    parts = (ci.system, commit or ci.commit, ci.pipeline_id, ci.job, run_name)
    return "ci:" + ":".join(_key_part(p) for p in parts)
