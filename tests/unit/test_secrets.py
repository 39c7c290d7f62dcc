"""Secret redaction: names, value shapes, env, config trees and command lines.

Every fake secret below has the real shape and is made up.
"""

from __future__ import annotations

import base64
import copy
from collections import namedtuple

import pytest

from labledger.core.secrets import (
    REDACTED,
    is_secret_name,
    redact_config,
    redact_fields,
    redact_value,
)
from labledger.sdk.capture.secrets import redact_argv, redact_env

GIT_SHA = "9fceb02d0ae598e95dc970b74767f19372d61af8"
UUID = "3f2b8c1e-9d4a-4e7b-8c6f-1a2b3c4d5e6f"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkxhYiJ9"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEA7Zq3fakefakefakefakefakefakefakefakefake\n"
    "Q2hlY2tzdW1mYWtlZmFrZWZha2VmYWtlZmFrZWZha2U=\n"
    "-----END RSA PRIVATE KEY-----"
)


# -- names -------------------------------------------------------------------------------------

SECRET_NAMES = [
    "API_KEY",
    "apiKey",
    "APIKey",
    "OPENAI_API_KEY",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SESSION_TOKEN",
    "private_key",
    "SECRET_KEY",
    "API_KEY_2",
    "key",
    "KEY",
    "GITHUB_TOKEN",
    "HF_TOKEN",
    "CI_JOB_TOKEN",
    "SYSTEM_ACCESSTOKEN",
    "accessToken",
    "githubtoken",
    "api_tokens",
    "client_secret",
    "DB_PASSWORD",
    "db.password",
    "dbPassword",
    "MYSQL_PASSWD",
    "DB_PWD",
    "DB_PASS",
    "passphrase",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "HTTP_AUTHORIZATION",
    "AUTH",
    "SESSION_COOKIE",
    "session_id",
    "sessionid",
    "SENTRY_DSN",
    "AZURE_STORAGE_CONNECTION_STRING",
    "conn_str",
    "GITLAB_PRIVATE",
    "WEBHOOK_SIGNATURE",
    "CI_JOB_JWT",
    "SLACK_WEBHOOK_URL",
    "GITHUB_PAT",
]

PLAIN_NAMES = [
    "PATH",
    "HOME",
    "PWD",
    "OLDPWD",
    "USER",
    "SHELL",
    "LANG",
    "HOSTNAME",
    "CUDA_VISIBLE_DEVICES",
    "GIT_AUTHOR_NAME",
    "KEYBOARD",
    "MONKEY",
    "hotkey",
    "learning_rate",
    "key_size",
    "key_dim",
    "num_key_value_heads",
    "num_keys",
    "missing_keys",
    "sort_key",
    "primary_key",
    "public_key",
    "run_key",
    "max_tokens",
    "num_tokens",
    "pad_token",
    "eos_token",
    "page_token",
    "token_type_ids",
    "tokenizer",
    "second_pass",
    "session_name",
    "DATABASE_URL",
    "commit",
]


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_is_secret_name_flags_credential_names(name):
    assert is_secret_name(name)


@pytest.mark.parametrize("name", PLAIN_NAMES)
def test_is_secret_name_leaves_ordinary_and_ml_names(name):
    assert not is_secret_name(name)


# -- value shapes ------------------------------------------------------------------------------

# name: (text with {} where the secret goes, the secret).  Redaction must replace exactly the
# secret: it vanishes and everything around it survives unchanged.
GH = "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
SHAPES = {
    "url password": ("postgresql://user:{}@db.internal:5432/runs", "s3cr3t-Pa55"),
    "url password containing @": ("mysql://admin:{}@host/db", "p@ss@word"),
    "url token as user": ("https://{}@github.com/org/repo.git", "xxxxxxxxTok3nValue123456"),
    "bearer header": ("curl -H 'Authorization: Bearer {}' https://api", "abc.DEF-123_xyz789"),
    "bearer alone": ("token is Bearer {} here", "Zm9vYmFyYmF6cXV4MTIz"),
    "basic header": ("Authorization: Basic {}", base64.b64encode(b"alice:pw123").decode()),
    "basic alone": ("sent Basic {} upstream", base64.b64encode(b"bob:hunter2").decode()),
    "jwt": ("cookie jwt {} end", JWT),
    "aws access key id": ("id {} in logs", "AKIAABCDEFGHIJKLMNOP"),
    "aws temporary key id": ("{}", "ASIAQRSTUVWXYZ234567"),
    "aws secret with label": ("aws_secret_access_key = {}", AWS_SECRET),
    "aws secret in a config line": ('aws.secret_key: "{}"', AWS_SECRET),
    "github classic token": ("push with {} now", "ghp_" + GH),
    "github oauth token": ("{}", "gho_" + GH),
    "github user token": ("{}", "ghu_" + GH),
    "github app token": ("{}", "ghs_" + GH),
    "github refresh token": ("{}", "ghr_" + GH),
    "github fine-grained": ("{} ok", "github_pat_11ABCDEFG0abcdefghijkl_MNOPQRSTUVWXYZ0123456789"),
    "gitlab token": ("{} ok", "glpat-AbCdEfGhIjKlMnOpQrSt"),
    "slack bot token": ("{}", "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp"),
    "slack user token": ("{}", "xoxp-1234567890-0987654321-AbCdEfGhIjKlMnOp"),
    "slack webhook": ("post to https://hooks.slack.com/services/{} done", "T000/B000/XXXXyyyy"),
    "google api key": ("key {} end", "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q"),
    "stripe live key": ("{}", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
    "stripe restricted key": ("{}", "rk_live_4eC39HqLyjWDarjtT1zdp7dc"),
    "openai key": ("OPENAI {} end", "sk-proj-Ab3dEf6hIj9lMn2pQr5tUv8xYz1BcD4fGh7j"),
    "anthropic key": ("{}", "sk-ant-api03-Ab3dEf6hIj9lMn2pQr5tUv8xYz1BcD4fGh7jKl0"),
    "hugging face token": ("login {} done", "hf_AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh"),
    "pem private key": ("key:\n{}\nafter", PEM),
    "azure account key": (
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={};EndpointSuffix=x",
        "bWFkZS11cC1rZXk+Zm9yL3Rlc3Rz==",
    ),
    "query token": ("https://api.example.com/v1?user=ann&access_token={}&page=2", "q1w2e3r4"),
    "query password": ("redis://cache:6379/0?password={}", "q1w2e3r4"),
    "query signature": ("https://acct.blob.core.windows.net/c?sv=2020&sig={}", "aBc%2Bd3F"),
    "connection string password": ("Server=db;User Id=sa;Password={};Database=runs", "Pa55w0rd!"),
    "odbc pwd": ("DRIVER={x};UID=sa;PWD={};", "Pa55w0rd!"),
    "quoted pair": ('db password="{}" rest', "two words"),
    "json pair": ('{"user": "ann", "api_key": "{}"}', "k-123-secret"),
    "python repr pair": ("{'token': '{}', 'lr': 0.1}", "t0k3n"),
    "option in text": ("run --api-key={} --epochs 3", "abc123"),
    "option then value in text": ('sh -c "python train.py --hf-token {} --lr 0.1"', "t0k3n"),
    "quoted option value in text": ("train --password '{}' --lr 1", "two words"),
    "yaml line": ("db:\n  password: {}\n  host: db", "hunter2"),
    "api key header": ("X-Api-Key: {}", "abc123"),
    "cookie header": ("Cookie: {}; theme=dark", "sessionid=abc123"),
}


@pytest.mark.parametrize("template, secret", SHAPES.values(), ids=SHAPES.keys())
def test_redact_value_replaces_each_secret_shape_and_keeps_the_text_around_it(template, secret):
    out = redact_value(template.replace("{}", secret))
    assert secret not in out
    assert out == template.replace("{}", REDACTED)


def test_redact_value_keeps_url_user_host_and_path_around_the_password():
    out = redact_value("postgresql://user:pw@host/db")
    assert out == f"postgresql://user:{REDACTED}@host/db"


def test_redact_value_replaces_a_pem_block_whole():
    out = redact_value(f"before\n{PEM}\nafter")
    assert out == f"before\n{REDACTED}\nafter"


def test_redact_value_replaces_an_unterminated_pem_block_to_the_end():
    assert redact_value("x -----BEGIN PRIVATE KEY-----\nMIIEvQIBADAN") == f"x {REDACTED}"


def test_redact_value_is_idempotent():
    once = redact_value("Authorization: Bearer abcdefgh123 postgresql://u:pw@h/db token=z")
    assert redact_value(once) == once


NOT_SECRETS = [
    GIT_SHA,
    f"commit {GIT_SHA} on main",
    f"sha256:{GIT_SHA}{GIT_SHA[:24]}",
    UUID,
    "/home/ann/data/train-00001-of-00010.parquet",
    "C:\\Users\\ann\\runs\\model.pt",
    "learning_rate=0.1",
    "num_keys=3",
    "max_tokens=512",
    "https://github.com/org/repo.git",
    "git@github.com:org/repo.git",
    "ssh://git@github.com:22/org/repo",
    "https://example.com:8080/path?page=2",
    "Basic configuration works",
    "sk-learn-baseline-experiment-2024-01-15",
    "hf_model_name_or_path",
    "PWD=/home/ann/project",
    "task-sk-1",
    "aws key sha: " + GIT_SHA,
    "commit: " + GIT_SHA,
    "Note: the run failed at 12: 30",
    "python train.py --max-tokens 512 --key-dim 64 --lr=0.1",
    "Bearer of bad news",
]


@pytest.mark.parametrize("text", NOT_SECRETS)
def test_redact_value_leaves_provenance_that_only_looks_random(text):
    assert redact_value(text) == text


# -- env ----------------------------------------------------------------------------------------


def test_redact_env_redacts_secret_names_whole_and_other_values_by_shape():
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": "/home/ann",
        "PWD": "/home/ann/project",
        "GITHUB_TOKEN": "anything at all",
        "DATABASE_URL": "postgresql://ann:pw@db/runs",
        "GIT_COMMIT": GIT_SHA,
    }
    out = redact_env(env)
    assert out == {
        "PATH": "/usr/bin:/bin",
        "HOME": "/home/ann",
        "PWD": "/home/ann/project",
        "GITHUB_TOKEN": REDACTED,
        "DATABASE_URL": f"postgresql://ann:{REDACTED}@db/runs",
        "GIT_COMMIT": GIT_SHA,
    }
    assert env["GITHUB_TOKEN"] == "anything at all"


# -- config --------------------------------------------------------------------------------------


def test_redact_config_redacts_secret_keys_whatever_the_value_type_and_keeps_the_rest():
    config = {
        "lr": 0.1,
        "epochs": 3,
        "use_amp": True,
        "notes": None,
        "db": {"host": "db", "password": "pw", "url": "mysql://u:pw2@db/x"},
        "credentials": {"user": "ann", "nested": ["a", "b"]},
        "api_key": 12345,
        "layers": [64, {"key_dim": 32, "token": "t0k"}],
        "pair": ("ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8", 2),
        "tags": {"x", "y"},
        "commit": GIT_SHA,
    }
    original = copy.deepcopy(config)
    out = redact_config(config)
    assert config == original
    assert out == {
        "lr": 0.1,
        "epochs": 3,
        "use_amp": True,
        "notes": None,
        "db": {"host": "db", "password": REDACTED, "url": f"mysql://u:{REDACTED}@db/x"},
        "credentials": REDACTED,
        "api_key": REDACTED,
        "layers": [64, {"key_dim": 32, "token": REDACTED}],
        "pair": (REDACTED, 2),
        "tags": {"x", "y"},
        "commit": GIT_SHA,
    }


def test_redact_config_returns_new_containers_and_keeps_namedtuples():
    point = namedtuple("point", "x y")
    nested = {"a": [1, 2]}
    out = redact_config({"p": point("token=abc", 1), "n": nested})
    assert out["p"] == point(f"token={REDACTED}", 1)
    assert type(out["p"]) is point
    assert out["n"] == nested
    assert out["n"] is not nested and out["n"]["a"] is not nested["a"]


def test_redact_config_passes_scalars_through():
    assert redact_config(3.5) == 3.5
    assert redact_config(None) is None
    assert redact_config("Bearer abcdefgh1234") == f"Bearer {REDACTED}"


# -- argv ----------------------------------------------------------------------------------------

ARGV_CASES = {
    "option=value": (["--api-key=abc123"], ["--api-key=" + REDACTED]),
    "option then value": (["--password", "abc123", "--lr", "0.1"], None),
    "single-dash long option": (["-password", "abc123"], ["-password", REDACTED]),
    "hydra override": (["db.password=xyz", "trainer.lr=0.1"], None),
    "hydra append": (["+db.token=xyz"], ["+db.token=" + REDACTED]),
    "java property": (["-Djavax.net.ssl.keyStorePassword=xyz"], None),
    "value in an argument": (["--db", "postgresql://u:pw@h/db"], None),
}
EXPECTED_ARGV = {
    "option then value": ["--password", REDACTED, "--lr", "0.1"],
    "hydra override": ["db.password=" + REDACTED, "trainer.lr=0.1"],
    "java property": ["-Djavax.net.ssl.keyStorePassword=" + REDACTED],
    "value in an argument": ["--db", f"postgresql://u:{REDACTED}@h/db"],
}


@pytest.mark.parametrize("case", ARGV_CASES.keys())
def test_redact_argv_redacts_secret_options_and_shapes(case):
    argv, expected = ARGV_CASES[case]
    assert redact_argv(argv) == (expected or EXPECTED_ARGV[case])


def test_redact_argv_does_not_treat_dash_p_as_a_password():
    assert redact_argv(["train.py", "-p", "8080"]) == ["train.py", "-p", "8080"]


def test_redact_argv_does_not_swallow_the_next_option_after_a_secret_flag():
    assert redact_argv(["--use-auth", "--epochs", "3"]) == ["--use-auth", "--epochs", "3"]


def test_redact_argv_leaves_ordinary_arguments_and_does_not_mutate_its_input():
    argv = ["python", "train.py", "--lr=0.1", "--max-tokens", "512", "--key-dim", "64", GIT_SHA]
    original = list(argv)
    assert redact_argv(argv) == original
    assert argv == original


def test_redact_argv_keeps_a_working_directory_assignment():
    assert redact_argv(["PWD=/home/ann", "PWD=s3cret"]) == ["PWD=/home/ann", "PWD=" + REDACTED]


# -- flat params and tags (what the SDK sends and the services store) -----------------------------


def test_redact_fields_redacts_secret_names_whole_and_other_values_by_shape():
    fields = {
        "lr": "0.1",
        "api_key": "anything at all",
        "db.password": "hunter2",
        "aws.secret_access_key": AWS_SECRET,
        "db.url": "postgresql://u:pw@db/x",
        "note": "pushed with ghp_" + GH,
        "sort_key": "loss",
        "commit": GIT_SHA,
        "empty": "",
    }
    assert redact_fields(fields) == {
        "lr": "0.1",
        "api_key": REDACTED,
        "db.password": REDACTED,
        "aws.secret_access_key": REDACTED,
        "db.url": f"postgresql://u:{REDACTED}@db/x",
        "note": f"pushed with {REDACTED}",
        "sort_key": "loss",
        "commit": GIT_SHA,
        "empty": "",
    }
    assert fields["api_key"] == "anything at all"  # a copy


def test_redact_fields_redacts_names_by_shape_and_leaves_non_strings_to_validation():
    out = redact_fields({"ghp_" + GH: "x", "api_key": 3, 7: "token=abc"})
    assert out == {REDACTED: "x", "api_key": 3, 7: "token=abc"}


TEXTS = [t.replace("{}", s) for t, s in SHAPES.values()] + NOT_SECRETS


@pytest.mark.parametrize("name", ["lr", "api_key", "db.password", "notes", "sort_key"])
def test_redact_fields_is_idempotent_and_stable(name):
    for text in TEXTS:
        once = redact_fields({name: text})
        assert redact_fields(once) == once
        assert redact_fields({name: text}) == once  # same input, same stored text


def test_redact_value_reaches_a_fixed_point_when_tokens_are_glued():
    glued = "AKIAABCDEFGHIJKLMNOPghp_" + GH
    once = redact_value(glued)
    assert "ghp_" not in once and "AKIA" not in once
    assert redact_value(once) == once


def test_sdk_params_and_tags_are_a_fixed_point_of_the_server_rules():
    from labledger.sdk.config import secret_free_params, secret_free_tags

    config = {
        "lr": 0.1,
        "db": {"password": "pw", "url": "mysql://u:pw2@db/x"},
        "connection": {"string": "Server=db;Password=x"},
        "credentials": {"user": "ann"},
        "layers": [{"api_key": 12345}, 3],
        "optimizer": {"name": "adam", "betas": [0.9, 0.99]},
    }
    params = secret_free_params(config)
    assert params == {
        "lr": "0.1",
        "db.password": REDACTED,
        "db.url": f"mysql://u:{REDACTED}@db/x",
        "connection.string": REDACTED,
        "credentials": REDACTED,
        "layers": f'[{{"api_key": "{REDACTED}"}}, 3]',
        "optimizer.name": "adam",
        "optimizer.betas": "[0.9, 0.99]",
    }
    assert redact_fields(params) == params
    tags = secret_free_tags({"token": "t0k", "team": "vision", "ci": "https://x:pw@ci/job"})
    assert tags == {"token": REDACTED, "team": "vision", "ci": f"https://x:{REDACTED}@ci/job"}
    assert redact_fields(tags) == tags
