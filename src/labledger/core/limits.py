"""Documented input limits (see docs/limits.md).  Anything over them is a 400 naming the field."""

from __future__ import annotations

MAX_PROJECT_NAME = 250
MAX_RUN_NAME = 250
MAX_RUN_KEY = 500
MAX_USER = 250
MAX_GROUP = 250
MAX_NOTES = 100_000
MAX_DELETE_REASON = 1_000  # travels in the query string: kept well under a request line's limit
MAX_KEY = 250  # metric, param and tag keys
MAX_PARAM_VALUE = 6_000
MAX_TAG_VALUE = 8_000
MAX_POINTS_PER_BATCH = 200_000
MAX_PARAMS_PER_BATCH = 1_000
MAX_TAGS_PER_BATCH = 1_000
MAX_BATCH_ID = 200
MAX_QUERY_LENGTH = 10_000
MAX_PAGE_SIZE = 5_000
MAX_HISTORY_POINTS = 10_000_000
MAX_ARTIFACT_PATH = 1_000
MAX_ARTIFACT_SEGMENT = 255
MAX_ARTIFACTS_PER_REQUEST = 10_000
MAX_ARTIFACT_SIZE = 5 * 2**40  # 5 TiB, S3's largest object
MAX_MEDIA_TYPE = 200
ARTIFACT_PART_SIZE = 16 * 2**20  # fixed part size of multipart uploads (bytes)
MAX_ENVIRONMENT_BYTES = 2 * 2**20  # the captured environment, as canonical JSON
MAX_DATASETS_PER_BATCH = 100
MAX_DATASET_URI = 4_000
MAX_DATASET_ROLE = 64
MAX_DATASET_COLUMNS = 10_000
MAX_DATASET_FORMAT = 32  # a dataset's format name (csv, parquet, ...)
MAX_REQUIRED_FIELDS = 100
MAX_REQUEST_BODY = ARTIFACT_PART_SIZE  # any request body, refused (413) before it is read
MAX_JSON_DEPTH = 64  # nesting of arrays and objects in a JSON body
MIN_STEP = -(2**63)
MAX_STEP = 2**63 - 1

ALL_LIMITS: dict[str, int] = {
    name: value
    for name, value in globals().items()
    if name.startswith(("MAX_", "MIN_", "ARTIFACT_"))
}
