"""CI detection from documented environment variables, and the default CI run key."""

from __future__ import annotations

import re

import pytest

from labledger.core import limits
from labledger.core.validation import check_str
from labledger.sdk.capture.ci import CIInfo, ci_run_key, detect_ci

SHA = "9fceb02d0ae598e95dc970b74767f19372d61af8"
LOCAL = {"PATH": "/usr/bin", "HOME": "/home/ann", "PWD": "/home/ann/project", "CI": "true"}

GITHUB = {
    **LOCAL,
    "GITHUB_ACTIONS": "true",
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "acme/vision",
    "GITHUB_RUN_ID": "8123456789",
    "GITHUB_RUN_NUMBER": "412",
    "GITHUB_RUN_ATTEMPT": "1",
    "GITHUB_JOB": "train",
    "GITHUB_WORKFLOW": "nightly",
    "GITHUB_SHA": SHA,
    "GITHUB_REF": "refs/heads/main",
    "GITHUB_REF_NAME": "main",
    "GITHUB_HEAD_REF": "",
    "GITHUB_TOKEN": "ghs_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
}
GITLAB = {
    **LOCAL,
    "GITLAB_CI": "true",
    "CI_PIPELINE_ID": "1200345",
    "CI_PIPELINE_URL": "https://gitlab.com/acme/vision/-/pipelines/1200345",
    "CI_JOB_ID": "6543210",
    "CI_JOB_NAME": "train 1/2",
    "CI_JOB_URL": "https://gitlab.com/acme/vision/-/jobs/6543210",
    "CI_JOB_RETRY_COUNT": "0",
    "CI_COMMIT_SHA": SHA,
    "CI_COMMIT_BRANCH": "main",
    "CI_COMMIT_REF_NAME": "main",
    "CI_PROJECT_PATH": "acme/vision",
    "CI_PROJECT_URL": "https://gitlab.com/acme/vision",
    "CI_REPOSITORY_URL": "https://gitlab-ci-token:glcbt-AbCdEfGhIjKlMnOpQrSt@gitlab.com/acme/vision.git",
    "CI_JOB_TOKEN": "glcbt-AbCdEfGhIjKlMnOpQrSt",
}
BUILDKITE = {
    **LOCAL,
    "BUILDKITE": "true",
    "BUILDKITE_BUILD_ID": "0190f3a2-7c1e-4b7a-9d1e-2f3a4b5c6d7e",
    "BUILDKITE_BUILD_NUMBER": "977",
    "BUILDKITE_BUILD_URL": "https://buildkite.com/acme/vision/builds/977",
    "BUILDKITE_JOB_ID": "0190f3a2-8d2f-4c8b-8e2f-3a4b5c6d7e8f",
    "BUILDKITE_STEP_ID": "0190f3a2-6b0d-4a69-8c0d-1e2f3a4b5c6d",
    "BUILDKITE_STEP_KEY": "train",
    "BUILDKITE_LABEL": ":fire: Train",
    "BUILDKITE_PARALLEL_JOB": "1",
    "BUILDKITE_PARALLEL_JOB_COUNT": "4",
    "BUILDKITE_RETRY_COUNT": "0",
    "BUILDKITE_COMMIT": SHA,
    "BUILDKITE_BRANCH": "main",
    "BUILDKITE_REPO": "git@github.com:acme/vision.git",
    "BUILDKITE_PIPELINE_SLUG": "vision",
    "BUILDKITE_AGENT_ACCESS_TOKEN": "bkaj_secret",
}
CIRCLECI = {
    **LOCAL,
    "CIRCLECI": "true",
    "CIRCLE_PIPELINE_ID": "4e1ffd3b-c260-43db-a66c-8766eaf7fc88",
    "CIRCLE_WORKFLOW_ID": "476fa7ff-7534-440f-9a65-a2779170d344",
    "CIRCLE_WORKFLOW_JOB_ID": "9a2b3c4d-0000-4000-8000-000000000001",
    "CIRCLE_BUILD_NUM": "5120",
    "CIRCLE_BUILD_URL": "https://circleci.com/gh/acme/vision/5120",
    "CIRCLE_JOB": "train",
    "CIRCLE_NODE_INDEX": "0",
    "CIRCLE_NODE_TOTAL": "1",
    "CIRCLE_SHA1": SHA,
    "CIRCLE_BRANCH": "main",
    "CIRCLE_PROJECT_USERNAME": "acme",
    "CIRCLE_PROJECT_REPONAME": "vision",
    "CIRCLE_REPOSITORY_URL": "git@github.com:acme/vision.git",
}
AZURE = {
    **LOCAL,
    "TF_BUILD": "True",
    "BUILD_BUILDID": "20413",
    "BUILD_BUILDNUMBER": "20240115.3",
    "SYSTEM_JOBID": "9cd7d73b-785a-5059-5c5c-3f86b8afeb34",
    "SYSTEM_JOBATTEMPT": "1",
    "SYSTEM_STAGENAME": "Train",
    "SYSTEM_PHASENAME": "gpu",
    "SYSTEM_JOBNAME": "linux",
    "SYSTEM_JOBDISPLAYNAME": "gpu linux",
    "SYSTEM_COLLECTIONURI": "https://dev.azure.com/acme/",
    "SYSTEM_TEAMPROJECT": "Vision Lab",
    "BUILD_SOURCEVERSION": SHA,
    "BUILD_SOURCEBRANCH": "refs/heads/main",
    "BUILD_SOURCEBRANCHNAME": "main",
    "BUILD_REPOSITORY_NAME": "vision",
    "SYSTEM_ACCESSTOKEN": "not-for-us",
}
JENKINS = {
    **LOCAL,
    "JENKINS_URL": "https://ci.acme.internal/",
    "JENKINS_HOME": "/var/jenkins_home",
    "BUILD_NUMBER": "153",
    "BUILD_ID": "153",
    "BUILD_TAG": "jenkins-vision-train-153",
    "BUILD_URL": "https://ci.acme.internal/job/vision/job/train/153/",
    "JOB_NAME": "vision/train",
    "STAGE_NAME": "Fit",
    "GIT_COMMIT": SHA,
    "GIT_BRANCH": "origin/main",
    "GIT_URL": "https://builder:s3cretPassw0rd@git.acme.internal/vision.git",
    "WORKSPACE": "/var/jenkins_home/workspace/vision",
}

EXPECTED = {
    "github-actions": (
        GITHUB,
        CIInfo(
            system="github-actions",
            pipeline_id="8123456789",
            build_id="412",
            job="train",
            attempt="1",
            url="https://github.com/acme/vision/actions/runs/8123456789",
            commit=SHA,
            branch="main",
            repository="acme/vision",
        ),
    ),
    "gitlab-ci": (
        GITLAB,
        CIInfo(
            system="gitlab-ci",
            pipeline_id="1200345",
            build_id="6543210",
            job="train 1/2",
            attempt="1",
            url="https://gitlab.com/acme/vision/-/jobs/6543210",
            commit=SHA,
            branch="main",
            repository="acme/vision",
        ),
    ),
    "buildkite": (
        BUILDKITE,
        CIInfo(
            system="buildkite",
            pipeline_id="0190f3a2-7c1e-4b7a-9d1e-2f3a4b5c6d7e",
            build_id="0190f3a2-8d2f-4c8b-8e2f-3a4b5c6d7e8f",
            job="train#1",
            attempt="1",
            url="https://buildkite.com/acme/vision/builds/977#0190f3a2-8d2f-4c8b-8e2f-3a4b5c6d7e8f",
            commit=SHA,
            branch="main",
            repository="git@github.com:acme/vision.git",
        ),
    ),
    "circleci": (
        CIRCLECI,
        CIInfo(
            system="circleci",
            pipeline_id="4e1ffd3b-c260-43db-a66c-8766eaf7fc88",
            build_id="5120",
            job="train",
            url="https://circleci.com/gh/acme/vision/5120",
            commit=SHA,
            branch="main",
            repository="acme/vision",
        ),
    ),
    "azure-pipelines": (
        AZURE,
        CIInfo(
            system="azure-pipelines",
            pipeline_id="20413",
            build_id="9cd7d73b-785a-5059-5c5c-3f86b8afeb34",
            job="Train.gpu.linux",
            attempt="1",
            url="https://dev.azure.com/acme/Vision%20Lab/_build/results?buildId=20413"
            "&view=logs&j=9cd7d73b-785a-5059-5c5c-3f86b8afeb34",
            commit=SHA,
            branch="main",
            repository="vision",
        ),
    ),
    "jenkins": (
        JENKINS,
        CIInfo(
            system="jenkins",
            pipeline_id="153",
            build_id="153",
            job="vision/train#Fit",
            url="https://ci.acme.internal/job/vision/job/train/153/",
            commit=SHA,
            branch="main",
            repository="https://builder:[REDACTED]@git.acme.internal/vision.git",
        ),
    ),
}

# what a retry of the same job changes, per system
RETRIED = {
    "github-actions": {"GITHUB_RUN_ATTEMPT": "2"},
    "gitlab-ci": {
        "CI_JOB_ID": "6543999",
        "CI_JOB_URL": "https://gitlab.com/acme/vision/-/jobs/6543999",
        "CI_JOB_RETRY_COUNT": "1",
    },
    "buildkite": {
        "BUILDKITE_JOB_ID": "0190f3b0-0000-4000-8000-000000000002",
        "BUILDKITE_RETRY_COUNT": "1",
    },
    "circleci": {
        "CIRCLE_WORKFLOW_ID": "5a6b7c8d-0000-4000-8000-000000000003",
        "CIRCLE_BUILD_NUM": "5188",
    },
    "azure-pipelines": {"SYSTEM_JOBATTEMPT": "2"},
}
# a different job in the same pipeline run
OTHER_JOB = {
    "github-actions": {"GITHUB_JOB": "evaluate"},
    "gitlab-ci": {"CI_JOB_NAME": "train 2/2", "CI_JOB_ID": "6543211"},
    "buildkite": {"BUILDKITE_PARALLEL_JOB": "2"},
    "circleci": {"CIRCLE_JOB": "evaluate"},
    "azure-pipelines": {"SYSTEM_JOBNAME": "windows"},
    "jenkins": {"STAGE_NAME": "Evaluate"},
}
# the next pipeline run on the same commit
OTHER_PIPELINE = {
    "github-actions": {"GITHUB_RUN_ID": "8123456790"},
    "gitlab-ci": {"CI_PIPELINE_ID": "1200346"},
    "buildkite": {"BUILDKITE_BUILD_ID": "0190f3c0-0000-4000-8000-000000000004"},
    "circleci": {"CIRCLE_PIPELINE_ID": "6b7c8d9e-0000-4000-8000-000000000005"},
    "azure-pipelines": {"BUILD_BUILDID": "20414"},
    "jenkins": {"BUILD_NUMBER": "154", "BUILD_ID": "154"},
}


@pytest.mark.parametrize("system", EXPECTED.keys())
def test_detect_ci_reads_each_system_from_its_documented_variables(system):
    env, expected = EXPECTED[system]
    assert detect_ci(env) == expected


@pytest.mark.parametrize("system", EXPECTED.keys())
def test_detect_ci_never_returns_a_credential_from_the_environment(system):
    env, _ = EXPECTED[system]
    info = detect_ci(env)
    assert info is not None
    values = " ".join(info.to_dict().values())
    for secret in ("ghs_A1b2", "glcbt-", "bkaj_secret", "not-for-us", "s3cretPassw0rd"):
        assert secret not in values


def test_detect_ci_returns_none_outside_ci():
    assert detect_ci(LOCAL) is None
    assert detect_ci({}) is None


def test_detect_ci_needs_a_jenkins_owned_variable_not_just_build_number():
    assert detect_ci({"BUILD_NUMBER": "7", "JOB_NAME": "x"}) is None
    assert detect_ci({"BUILD_NUMBER": "7", "JENKINS_HOME": "/var/jenkins_home"}) is not None


def test_detect_ci_reads_os_environ_at_call_time(monkeypatch):
    for name in ("GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "CIRCLECI", "TF_BUILD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("JENKINS_URL", raising=False)
    monkeypatch.delenv("JENKINS_HOME", raising=False)
    assert detect_ci() is None
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_JOB", "train")
    info = detect_ci()
    assert info is not None and info.system == "github-actions" and info.job == "train"


def test_detect_ci_uses_the_pull_request_source_branch_on_github():
    info = detect_ci({**GITHUB, "GITHUB_HEAD_REF": "feature/x", "GITHUB_REF_NAME": "12/merge"})
    assert info is not None and info.branch == "feature/x"


def test_detect_ci_treats_an_unresolved_buildkite_commit_as_unknown():
    info = detect_ci({**BUILDKITE, "BUILDKITE_COMMIT": "HEAD"})
    assert info is not None and info.commit is None


def test_detect_ci_adds_the_circleci_node_index_only_for_parallel_jobs():
    info = detect_ci({**CIRCLECI, "CIRCLE_NODE_TOTAL": "4", "CIRCLE_NODE_INDEX": "3"})
    assert info is not None and info.job == "train#3"


def test_to_dict_holds_only_the_fields_that_are_set():
    info = CIInfo(system="jenkins", pipeline_id="3", job="x")
    assert info.to_dict() == {"system": "jenkins", "pipeline_id": "3", "job": "x"}


# -- run key --------------------------------------------------------------------------------------


def key_for(env: dict[str, str], name: str | None = "resnet50") -> str:
    info = detect_ci(env)
    assert info is not None
    return ci_run_key(info, name)


def test_ci_run_key_joins_system_commit_pipeline_job_and_name():
    assert key_for(GITHUB) == f"ci:github-actions:{SHA}:8123456789:train:resnet50"


@pytest.mark.parametrize("system", RETRIED.keys())
def test_ci_run_key_is_the_same_when_the_job_is_retried(system):
    env, _ = EXPECTED[system]
    retried = {**env, **RETRIED[system]}
    assert detect_ci(retried) != detect_ci(env)
    assert key_for(retried) == key_for(env)


@pytest.mark.parametrize("system", OTHER_JOB.keys())
def test_ci_run_key_differs_for_another_job(system):
    env, _ = EXPECTED[system]
    assert key_for({**env, **OTHER_JOB[system]}) != key_for(env)


@pytest.mark.parametrize("system", OTHER_PIPELINE.keys())
def test_ci_run_key_differs_for_another_pipeline_run(system):
    env, _ = EXPECTED[system]
    assert key_for({**env, **OTHER_PIPELINE[system]}) != key_for(env)


def test_ci_run_key_differs_for_another_run_name_or_commit():
    info = detect_ci(GITHUB)
    assert info is not None
    keys = {
        ci_run_key(info, "a"),
        ci_run_key(info, "b"),
        ci_run_key(info, None),
        ci_run_key(info, "a", commit="0" * 40),
    }
    assert len(keys) == 4


def test_ci_run_key_prefers_the_commit_it_is_given():
    info = CIInfo(system="gitlab-ci", pipeline_id="1", job="j", commit="a" * 40)
    assert ci_run_key(info, "n", commit="b" * 40) == f"ci:gitlab-ci:{'b' * 40}:1:j:n"


def test_ci_run_key_escapes_separators_so_parts_cannot_run_together():
    one = CIInfo(system="jenkins", pipeline_id="1", job="a:b")
    two = CIInfo(system="jenkins", pipeline_id="1:a", job="b")
    assert ci_run_key(one, None) != ci_run_key(two, None)
    assert ci_run_key(one, None).count(":") == 5


LONG = "x" * 2_000


@pytest.mark.parametrize(
    "info, name",
    [
        (detect_ci(GITLAB), "resnet50"),
        (CIInfo(system="jenkins"), None),
        (CIInfo(system="buildkite", pipeline_id=LONG, job=LONG, commit=LONG), LONG),
        (CIInfo(system="jenkins", job="ünïcode job\x00\x07 with: colons%"), "名前\n" * 300),
    ],
    ids=["gitlab", "empty", "very long parts", "odd characters"],
)
def test_ci_run_key_always_passes_run_key_validation(info, name):
    key = ci_run_key(info, name)
    assert check_str("run_key", key, limits.MAX_RUN_KEY) == key
    assert re.fullmatch(r"[\x21-\x7e]+", key)  # printable ASCII, no spaces or controls


def test_ci_run_key_hashes_long_parts_so_they_stay_distinct():
    a = ci_run_key(CIInfo(system="jenkins", job=LONG + "a"), None)
    b = ci_run_key(CIInfo(system="jenkins", job=LONG + "b"), None)
    assert a != b
    assert len(a) <= limits.MAX_RUN_KEY
