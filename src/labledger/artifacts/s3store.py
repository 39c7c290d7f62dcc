"""Blobs in an S3-compatible bucket: ``<prefix>/sha256/ab/cd/<digest>``.

Multipart uploads use S3's own multipart upload on a staging key (``<prefix>/uploads/<id>``),
so the parts survive a restart of our server; on complete the object is read back and
hashed, and copied to its content address only if the digest matches.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from labledger.artifacts.blobstore import CHUNK, blob_key, digest_mismatch
from labledger.core.errors import BlobStoreError, InvalidInputError
from labledger.core.limits import ARTIFACT_PART_SIZE

T = TypeVar("T")


class S3BlobStore:
    def __init__(self, bucket: str, prefix: str, *, endpoint_url: str | None = None) -> None:
        try:
            import boto3
            from botocore.config import Config
        except ImportError:
            raise InvalidInputError(
                "s3:// artifact URIs need boto3: pip install 'labledger[s3]'",
                details={"field": "artifact_uri"},
            ) from None
        self.bucket = bucket
        self.prefix = f"{prefix}/" if prefix else ""
        self.uri = f"s3://{bucket}/{prefix}".rstrip("/")
        config = Config(retries={"mode": "standard", "max_attempts": 5}, max_pool_connections=16)
        self.client: Any = boto3.client("s3", endpoint_url=endpoint_url, config=config)

    def _key(self, digest: str) -> str:
        return self.prefix + blob_key(digest)

    def _staging_key(self, upload_id: str) -> str:
        return f"{self.prefix}uploads/{upload_id}"

    def _call(self, what: str, fn: Callable[..., T], **kwargs: Any) -> T:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return fn(**kwargs)
        except ClientError:
            raise
        except BotoCoreError as exc:
            raise BlobStoreError(f"S3 bucket {self.bucket}: {what} failed: {exc}") from exc

    def _head(self, key: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            head: dict[str, Any] = self._call(
                "head", self.client.head_object, Bucket=self.bucket, Key=key
            )
            return head
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise BlobStoreError(f"S3 bucket {self.bucket}: head {key} failed: {exc}") from exc

    def exists(self, digest: str) -> bool:
        return self._head(self._key(digest)) is not None

    def size(self, digest: str) -> int | None:
        head = self._head(self._key(digest))
        return None if head is None else int(head["ContentLength"])

    def local_path(self, digest: str) -> Path | None:
        del digest
        return None

    def _read_key(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if start or end is not None:
            kwargs["Range"] = f"bytes={start}-{'' if end is None else end - 1}"
        body = self._call("get", self.client.get_object, **kwargs)["Body"]
        try:
            yield from body.iter_chunks(CHUNK)
        finally:
            body.close()

    def read(self, digest: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        if end is not None and end <= start:
            return iter(())
        return self._read_key(self._key(digest), start, end)

    def put(self, digest: str, chunks: Iterable[bytes | memoryview]) -> int:
        data = b"".join(chunks)  # single-request blobs are at most one part
        actual = hashlib.sha256(data).hexdigest()
        if actual != digest:
            raise digest_mismatch(digest, actual, f"blob {digest}")
        self._call(
            "put", self.client.put_object, Bucket=self.bucket, Key=self._key(digest), Body=data
        )
        return len(data)

    def put_many(self, items: Sequence[tuple[str, bytes | memoryview]]) -> None:
        for digest, data in items:  # each PUT is durable once S3 answers
            self.put(digest, [data])

    def put_file(self, source: Path) -> tuple[str, int]:
        def parts() -> Iterator[bytes]:
            with open(source, "rb") as f:
                while data := f.read(ARTIFACT_PART_SIZE):
                    yield data

        return self.put_stream(parts())

    def put_stream(self, chunks: Iterable[bytes | memoryview]) -> tuple[str, int]:
        """One pass: content up to one part is one PUT; more goes, part by part, to a
        staging multipart upload while hashed, then is copied to its digest's key."""
        hasher = hashlib.sha256()
        pending = bytearray()
        stream = iter(chunks)
        for chunk in stream:
            pending += chunk
            if len(pending) > ARTIFACT_PART_SIZE:
                break
        else:  # the whole content fits in one part
            data = bytes(pending)
            digest = hashlib.sha256(data).hexdigest()
            if not self.exists(digest):
                self.put(digest, [data])
            return digest, len(data)
        upload_id = uuid.uuid4().hex
        key = self._staging_key(upload_id)
        state = self.begin_upload(upload_id, 0)
        size = 0
        part = 1
        try:
            while True:
                while len(pending) < ARTIFACT_PART_SIZE:
                    more = next(stream, None)
                    if more is None:
                        break
                    pending += more
                if not pending:
                    break
                data = bytes(pending[:ARTIFACT_PART_SIZE])
                del pending[:ARTIFACT_PART_SIZE]
                hasher.update(data)
                size += len(data)
                self.write_part(upload_id, state, part, 0, memoryview(data))
                part += 1
            self._finish_multipart(key, state)
            digest = hasher.hexdigest()
            if not self.exists(digest):
                self._copy(key, self._key(digest))
            return digest, size
        finally:
            self.abort_upload(upload_id, state)

    def _copy(self, source_key: str, dest_key: str) -> None:
        self._call(
            "copy",
            self.client.copy,
            CopySource={"Bucket": self.bucket, "Key": source_key},
            Bucket=self.bucket,
            Key=dest_key,
        )

    def delete(self, digest: str) -> None:
        self._call("delete", self.client.delete_object, Bucket=self.bucket, Key=self._key(digest))

    def iter_digests(self) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + "sha256/"):
            for obj in page.get("Contents", []):
                name = obj["Key"].rsplit("/", 1)[-1]
                if len(name) == 64:
                    yield name

    # -- multipart ----------------------------------------------------------------------------
    def begin_upload(self, upload_id: str, size: int) -> str:
        del size
        created = self._call(
            "create multipart upload",
            self.client.create_multipart_upload,
            Bucket=self.bucket,
            Key=self._staging_key(upload_id),
        )
        return str(created["UploadId"])

    def write_part(
        self, upload_id: str, state: str, part_number: int, offset: int, data: memoryview
    ) -> None:
        del offset
        self._call(
            "upload part",
            self.client.upload_part,
            Bucket=self.bucket,
            Key=self._staging_key(upload_id),
            UploadId=state,
            PartNumber=part_number,
            Body=bytes(data),
        )

    def _finish_multipart(self, key: str, state: str) -> None:
        from botocore.exceptions import ClientError

        try:
            parts: list[dict[str, Any]] = []
            paginator = self.client.get_paginator("list_parts")
            for page in paginator.paginate(Bucket=self.bucket, Key=key, UploadId=state):
                parts.extend(
                    {"PartNumber": p["PartNumber"], "ETag": p["ETag"]}
                    for p in page.get("Parts", [])
                )
            self._call(
                "complete multipart upload",
                self.client.complete_multipart_upload,
                Bucket=self.bucket,
                Key=key,
                UploadId=state,
                MultipartUpload={"Parts": sorted(parts, key=lambda p: p["PartNumber"])},
            )
        except ClientError as exc:
            # completed before a crash: the staging object is there, carry on with it
            if self._head(key) is None:
                raise BlobStoreError(f"S3 bucket {self.bucket}: completing {key}: {exc}") from exc

    def complete_upload(
        self, upload_id: str, state: str, digest: str, size: int, part_count: int
    ) -> None:
        del part_count
        key = self._staging_key(upload_id)
        self._finish_multipart(key, state)
        hasher = hashlib.sha256()
        length = 0
        for chunk in self._read_key(key):
            hasher.update(chunk)
            length += len(chunk)
        actual = hasher.hexdigest()
        if actual != digest or length != size:
            self.abort_upload(upload_id, state)
            raise digest_mismatch(digest, actual, f"upload {upload_id}")
        if not self.exists(digest):
            self._copy(key, self._key(digest))
        self._call("delete", self.client.delete_object, Bucket=self.bucket, Key=key)

    def abort_upload(self, upload_id: str, state: str) -> None:
        from botocore.exceptions import ClientError

        key = self._staging_key(upload_id)
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=state)
        except ClientError:
            pass  # already completed or aborted
        self._call("delete", self.client.delete_object, Bucket=self.bucket, Key=key)

    def check(self) -> None:
        from botocore.exceptions import ClientError

        try:
            self._call("head bucket", self.client.head_bucket, Bucket=self.bucket)
        except ClientError as exc:
            raise BlobStoreError(f"S3 bucket {self.bucket} is not usable: {exc}") from exc
