"""The run page's artifacts tab in Chromium, against a real server given artifacts over REST:
the tree (folders, sizes, pending mark, checkpoint step), the previews and the downloads."""

from __future__ import annotations

import hashlib
import json
import struct
import zlib

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import ServerProcess
from tests.e2e.conftest import SCREENSHOTS

pytestmark = pytest.mark.e2e


def png(width: int, height: int) -> bytes:
    """A valid RGB PNG: a colour gradient."""
    raw = b"".join(
        b"\x00"  # filter: none
        + bytes(
            v
            for x in range(width)
            for v in (x * 255 // width, y * 255 // height, 128 + (x + y) % 2 * 64)
        )
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def human(n: int) -> str:
    """The UI's byte format (web/src/lib/format.ts formatBytes) for the sizes used here."""
    if n < 1024:
        return f"{n} B"
    kib = n / 1024
    return f"{kib:.1f} KiB".replace(".0 ", " ") if kib < 10 else f"{round(kib)} KiB"


TEXT = "".join(f"epoch {i}: loss {1 / (i + 1):.4f}\n" for i in range(20)).encode()
METRICS = json.dumps({"accuracy": 0.9731, "per_class": {"cat": 0.95, "dog": 0.99}}).encode()
CSV = b'id,label,score\n1,cat,0.91\n2,dog,0.87\n3,"bird, small",0.42\n'
IMAGE = png(160, 120)
BIG = b"".join(f"{i:08d} a line of a long training log\n".encode() for i in range(2000))
WEIGHTS = bytes(range(256)) * 8
FILES: dict[str, tuple[bytes, dict[str, object]]] = {
    "train.log": (TEXT, {"media_type": "text/plain"}),
    "eval/metrics.json": (METRICS, {"media_type": "application/json"}),
    "eval/predictions.csv": (CSV, {}),  # media type from the extension
    "eval/plots/confusion.png": (IMAGE, {"media_type": "image/png"}),
    "logs/stdout.log": (BIG, {}),
    "checkpoints/step-600/model.pt": (WEIGHTS, {"step": 600}),
}
PENDING = ("checkpoints/step-1200/model.pt", b"never uploaded" * 100, {"step": 1200})


def log_artifacts(url: str, run_id: str) -> None:
    """What the SDK does: declare the entries, then PUT the contents the server lacks."""
    declared = [
        {"path": path, "digest": hashlib.sha256(data).hexdigest(), "size": len(data), **extra}
        for path, (data, extra) in [*FILES.items(), (PENDING[0], (PENDING[1], PENDING[2]))]
    ]
    r = httpx.post(f"{url}/api/v1/runs/{run_id}/artifacts", json={"artifacts": declared})
    assert r.status_code == 200, r.text
    missing = set(r.json()["missing"])
    for data, _ in FILES.values():
        digest = hashlib.sha256(data).hexdigest()
        if digest in missing:
            put = httpx.put(
                f"{url}/api/v1/blobs/{digest}",
                content=data,
                headers={"Content-Type": "application/octet-stream"},
            )
            assert put.status_code == 200, put.text
    states = {
        a["path"]: a["state"]
        for a in httpx.get(f"{url}/api/v1/runs/{run_id}/artifacts").json()["artifacts"]
    }
    assert states[PENDING[0]] == "pending"
    assert {states[p] for p in FILES} == {"stored"}


def create_run(url: str, name: str) -> str:
    r = httpx.post(f"{url}/api/v1/runs", json={"project": "artifacts", "name": name})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def row(page, path: str):  # type: ignore[no-untyped-def]
    return page.locator(f"[data-testid=artifact-row][data-path='{path}']")


def select(page, path: str):  # type: ignore[no-untyped-def]
    row(page, path).click()
    preview = page.locator(f"[data-testid=artifact-preview][data-path='{path}']")
    preview.wait_for()
    return preview


def test_artifacts_tab_shows_the_tree_previews_and_downloads(page, server: ServerProcess):
    run_id = create_run(server.url, "with-artifacts")
    log_artifacts(server.url, run_id)
    page.goto(f"{server.url}/runs/{run_id}")
    page.get_by_test_id("tab-artifacts").click()
    page.get_by_test_id("artifacts-tree").wait_for()

    # the tree: folders first, nested folders open, sizes human readable
    paths = page.locator("[data-testid=artifact-row]").evaluate_all(
        "els => els.map(e => e.dataset.kind + ':' + e.dataset.path)"
    )
    assert paths == [
        "folder:checkpoints",
        "folder:checkpoints/step-1200",
        "file:checkpoints/step-1200/model.pt",
        "folder:checkpoints/step-600",
        "file:checkpoints/step-600/model.pt",
        "folder:eval",
        "folder:eval/plots",
        "file:eval/plots/confusion.png",
        "file:eval/metrics.json",
        "file:eval/predictions.csv",
        "folder:logs",
        "file:logs/stdout.log",
        "file:train.log",
    ]
    for path, (data, _) in FILES.items():
        assert row(page, path).get_by_test_id("artifact-size").inner_text() == human(len(data))
    eval_size = len(METRICS) + len(CSV) + len(IMAGE)
    assert row(page, "eval").get_by_test_id("artifact-size").inner_text() == human(eval_size)
    assert "3 files" in row(page, "eval").inner_text()
    assert "7 files" in page.get_by_test_id("artifacts-summary").inner_text()

    # pending entry: badge, step, no download link; the stored checkpoint has its step too
    pending = row(page, PENDING[0])
    assert pending.get_attribute("data-state") == "pending"
    assert pending.get_by_test_id("pending-badge").inner_text().lower() == "pending"
    assert pending.get_by_test_id("step-badge").inner_text().lower() == "step 1200"
    expect(pending.get_by_test_id("row-download")).to_have_count(0)
    assert "latest" not in pending.inner_text().lower()  # cannot be downloaded yet
    stored_ckpt = row(page, "checkpoints/step-600/model.pt")
    assert "latest" in stored_ckpt.inner_text().lower()
    expect(stored_ckpt.get_by_test_id("pending-badge")).to_have_count(0)
    assert stored_ckpt.get_by_test_id("step-badge").inner_text().lower() == "step 600"
    digest = hashlib.sha256(WEIGHTS).hexdigest()
    short = stored_ckpt.get_by_test_id("artifact-digest")
    assert short.inner_text() == digest[:12]
    assert short.get_attribute("data-digest") == digest

    # folders collapse and open again
    row(page, "eval").click()
    expect(row(page, "eval/metrics.json")).to_have_count(0)
    row(page, "eval").click()
    row(page, "eval/metrics.json").wait_for()

    # text
    preview = select(page, "train.log")
    assert preview.get_by_test_id("preview-text").inner_text().startswith("epoch 0: loss 1.0000")
    expect(preview.get_by_test_id("preview-truncated")).to_have_count(0)

    # a long text: only its first 64 KiB, said so
    preview = select(page, "logs/stdout.log")
    text = preview.get_by_test_id("preview-text").inner_text()
    assert text.startswith("00000000 a line") and len(text) <= 64 * 1024
    assert "00001999" not in text
    assert "64 KiB" in preview.get_by_test_id("preview-truncated").inner_text()

    # JSON, pretty-printed
    preview = select(page, "eval/metrics.json")
    pretty = preview.get_by_test_id("preview-json").inner_text()
    assert '"accuracy": 0.9731' in pretty and '\n  "per_class": {' in pretty

    # CSV as a table (quoted comma kept in its cell)
    preview = select(page, "eval/predictions.csv")
    table = preview.get_by_test_id("preview-table")
    expect(table.locator("th")).to_have_text(["id", "label", "score"])  # waits for render
    expect(table.locator("td", has_text="bird, small")).to_have_count(1)
    expect(table.locator("tbody tr")).to_have_count(3)

    # a binary type: no preview, the media type and a download button
    preview = select(page, "checkpoints/step-600/model.pt")
    assert "application/octet-stream" in preview.get_by_test_id("preview-other").inner_text()
    preview.get_by_test_id("preview-download").wait_for()

    # the pending entry: says so, nothing to download
    preview = select(page, PENDING[0])
    preview.get_by_test_id("preview-pending").wait_for()
    assert preview.get_by_test_id("artifact-download").get_attribute("href") is None

    # image, decoded by the browser
    preview = select(page, "eval/plots/confusion.png")
    image = preview.get_by_test_id("preview-image")
    page.wait_for_function("el => el.complete && el.naturalWidth > 0", arg=image.element_handle())
    assert image.evaluate("el => [el.naturalWidth, el.naturalHeight]") == [160, 120]

    # downloads answer the exact bytes, as attachments
    for path in ("eval/plots/confusion.png", "eval/predictions.csv"):
        href = select(page, path).get_by_test_id("artifact-download").get_attribute("href")
        assert href is not None and href.endswith("?download=true")
        r = httpx.get(server.url + href)
        assert r.status_code == 200
        assert r.content == FILES[path][0]
        assert r.headers["content-disposition"].startswith("attachment")
        assert r.headers["x-content-sha256"] == hashlib.sha256(FILES[path][0]).hexdigest()
    href = row(page, "train.log").get_by_test_id("row-download").get_attribute("href")
    assert httpx.get(server.url + str(href)).content == TEXT

    # the selection is in the URL: a reload (or a shared link) shows the same file
    select(page, "eval/predictions.csv")
    assert "tab=artifacts" in page.url and "artifact=eval%2Fpredictions.csv" in page.url
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "artifacts.png"))
    page.reload()
    page.locator("[data-testid=artifact-preview][data-path='eval/predictions.csv']").wait_for()
    page.get_by_test_id("preview-table").wait_for()


def test_artifacts_tab_of_a_run_without_artifacts_says_so(page, server: ServerProcess):
    run_id = create_run(server.url, "empty")
    page.goto(f"{server.url}/runs/{run_id}?tab=artifacts")
    empty = page.get_by_test_id("empty")
    empty.wait_for()
    assert "No artifacts logged" in empty.inner_text()


def test_artifacts_tab_reports_a_failed_listing(page, server: ServerProcess, console):
    run_id = create_run(server.url, "store-down")
    console.expect("status of 503")  # the listing this test makes fail
    body = {"error_code": "blob_store_unavailable", "message": "the artifact store is down"}
    page.route("**/api/v1/runs/*/artifacts", lambda route: route.fulfill(status=503, json=body))
    page.goto(f"{server.url}/runs/{run_id}?tab=artifacts")
    error = page.get_by_test_id("error")
    error.wait_for()
    assert "Artifact store unavailable" in error.inner_text()
    assert "the artifact store is down" in error.inner_text()
