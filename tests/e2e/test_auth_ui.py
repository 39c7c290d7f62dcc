"""Signing in to the web UI, roles in the UI and the admin pages, in Debian's Chromium
against a real server with auth on.  Users, passwords, tokens and members are set up with
the operator CLI on the server's store; runs are logged through the SDK with tokens."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ServerProcess

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"
LINK = re.compile(r"(http://127\.0\.0\.1:\d+/api/v1/auth/link\?token=ll_[A-Za-z0-9_-]{43})")
# what Chromium logs for an answer the test provokes on purpose
REFUSED = {code: f"status of {code}" for code in (401, 403, 404, 409, 429)}


def labledger(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "labledger.cli", *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"labledger {' '.join(args)}: {done.stderr}"
    return done.stdout


@dataclass
class Team:
    server: ServerProcess
    link: str  # the one-time login link the first start printed (ended by admin's password)
    runs: dict[str, str]  # run name -> id
    store: list[str]  # the operator CLI's --data-dir arguments

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Team]:
    """``vision`` belongs to ana (who logged its runs), with vic a viewer and eddie an
    editor; ``secret`` belongs to bob.  Everyone, admin included, has a password (so the
    login link the first start printed for admin no longer works)."""
    import labledger as ll

    data = tmp_path_factory.mktemp("auth-ui")
    server = ServerProcess(data, args=["--auth", "on"])
    server.start()
    try:
        server.log.flush()
        links = LINK.findall(Path(server.log.name).read_text())
        assert len(links) == 1, "the first start prints one login link"
        store = ["--data-dir", str(data)]
        for name in ("ana", "vic", "eddie", "bob", "tess", "carol"):
            labledger("users", "add", name, *store)
        for name in ("admin", "ana", "vic", "eddie", "bob", "tess"):
            labledger("users", "passwd", name, "--password", PASSWORD, *store)
        tokens = {n: labledger("tokens", "create", n, *store).strip() for n in ("ana", "bob")}
        runs: dict[str, str] = {}
        with pytest.MonkeyPatch.context() as env:
            env.setenv("LABLEDGER_SPOOL_DIR", str(data / "spool"))
            env.setenv("LABLEDGER_CREDENTIALS_FILE", str(data / "no-credentials.json"))
            env.setenv("LABLEDGER_TOKEN", tokens["ana"])
            with ll.init(
                project="vision", name="baseline", tracking_uri=server.url, config={"lr": 0.1}
            ) as run:
                for step in range(20):
                    run.log({"loss": 1 / (step + 1)}, step=step)
            runs["baseline"] = run.id  # finished: sealed
            failed = ll.init(project="vision", name="diverged", tracking_uri=server.url)
            failed.log({"loss": float("nan")}, step=0)
            failed.finish("failed")  # not sealed: a maintainer may seal it
            runs["diverged"] = failed.id
            with ll.init(project="vision", name="scratch", tracking_uri=server.url) as scratch:
                scratch.log({"loss": 1.0}, step=0)
            runs["scratch"] = scratch.id  # sealed: deleting it needs a reason
            env.setenv("LABLEDGER_TOKEN", tokens["bob"])
            other = ll.init(project="secret", name="bobs-run", tracking_uri=server.url)
            other.finish()
            runs["bobs-run"] = other.id
        labledger("projects", "members", "add", "vision", "vic", "--role", "viewer", *store)
        labledger("projects", "members", "add", "vision", "eddie", "--role", "editor", *store)
        yield Team(server, links[0], runs, store)
    finally:
        server.stop()


def sign_in(page, url: str, user: str, password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{url}/login")
    submit(page, user, password)
    page.get_by_test_id("signed-in-as").wait_for()
    assert f"signed in as {user}" in page.get_by_test_id("signed-in-as").inner_text()


def submit(page, user: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_label("User", exact=True).fill(user)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def sign_out(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="Sign out").click()
    page.get_by_test_id("login-form").wait_for()


def open_run(page, url: str, run_id: str, role: str) -> None:  # type: ignore[no-untyped-def]
    """The run page, once the user's role in its project is known."""
    page.goto(f"{url}/runs/{run_id}")
    page.locator(f"[data-testid=run-tabs][data-role={role}]").wait_for()


def fetch(page, method: str, path: str, csrf: bool) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """A request from the page with the session cookie, with or without its CSRF token."""
    return page.evaluate(
        """async ([method, path, csrf]) => {
            const session = await (await fetch("/api/v1/auth/session")).json();
            const headers = {"Content-Type": "application/json"};
            if (csrf) headers["X-CSRF-Token"] = session.csrf_token;
            const body = JSON.stringify({project: "vision"});
            const r = await fetch(path, {method, headers, body});
            return {status: r.status, body: await r.json()};
        }""",
        [method, path, csrf],
    )


def test_the_ui_asks_for_a_login_and_comes_back_to_the_page(page, team):
    page.goto(f"{team.url}/projects/vision?filter=status%20%3D%20%27failed%27")
    page.get_by_test_id("login-form").wait_for()
    assert "/login?next=" in page.url
    assert page.get_by_test_id("user-menu").count() == 0
    assert page.title() == "Sign in · LabLedger"
    submit(page, "ana", PASSWORD)
    page.wait_for_selector("[data-testid=run-row]")
    assert page.url.endswith("/projects/vision?filter=status%20%3D%20%27failed%27")
    assert page.locator("[data-testid=run-row] a").all_inner_texts() == ["diverged"]
    assert "signed in as ana" in page.get_by_test_id("signed-in-as").inner_text()


def test_a_user_sees_only_the_projects_they_may_read(page, team, console):
    sign_in(page, team.url, "ana")
    page.goto(team.url)
    table = page.get_by_test_id("projects-table")
    table.wait_for()
    assert table.locator("tbody tr td:first-child").all_inner_texts() == ["vision"]
    console.expect(REFUSED[404])  # bob's project does not exist, as far as ana can tell
    page.goto(f"{team.url}/projects/secret")
    assert "Project not found" in page.get_by_test_id("error").first.inner_text()
    # admins see every project; the admin pages are linked for them only
    assert page.get_by_role("link", name="Users").count() == 0
    sign_out(page)
    sign_in(page, team.url, "admin")
    table.wait_for()
    assert sorted(table.locator("tbody tr td:first-child").all_inner_texts()) == [
        "secret",
        "vision",
    ]
    assert page.get_by_role("link", name="Users").count() == 1


def test_a_wrong_password_is_refused_and_too_many_attempts_say_how_long(page, team, console):
    from playwright.sync_api import expect

    console.expect(REFUSED[401])
    console.expect(REFUSED[429])
    page.goto(f"{team.url}/login")
    submit(page, "tess", "not the password")
    error = page.get_by_test_id("login-error")
    expect(error).to_have_text("Wrong user name or password.")
    for _ in range(10):  # the server allows 5 failures per user in 5 minutes
        with page.expect_response("**/api/v1/auth/login") as answer:
            submit(page, "tess", "still not it")
        if answer.value.status == 429:
            break
    expect(error).to_have_text(re.compile(r"^Too many attempts, try again in \d+ s\.$"))


def test_a_viewer_sees_no_write_controls_and_an_editor_and_owner_do(page, team):
    from playwright.sync_api import expect

    url, run = team.url, team.runs["diverged"]
    sign_in(page, url, "vic")
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    open_run(page, url, run, "viewer")
    assert page.get_by_test_id("notes-readonly").is_visible()
    assert page.get_by_role("textbox", name="Notes").count() == 0
    for name in ("Save notes", "Seal run", "Delete run…"):
        assert page.get_by_role("button", name=name).count() == 0, name
    # the role comes from the projects list, not from the project's members
    assert any(u.endswith("/api/v1/projects") for u in asked)
    assert not [u for u in asked if "/members" in u]
    page.goto(f"{url}/projects/vision/members")
    assert "viewer" in page.get_by_test_id("your-role").inner_text()
    assert page.get_by_role("button", name="Add member").count() == 0
    assert page.get_by_role("button", name=re.compile("^Remove")).count() == 0
    sign_out(page)

    sign_in(page, url, "eddie")  # an editor annotates: notes, but no seal or delete
    open_run(page, url, run, "editor")
    notes = page.get_by_role("textbox", name="Notes")
    notes.fill("lr too high: diverged at step 0")
    page.get_by_role("button", name="Save notes").click()  # a PATCH: its CSRF token is sent
    expect(page.get_by_role("button", name="Save notes")).to_be_disabled()  # saved
    assert page.get_by_role("button", name="Seal run").count() == 0
    assert page.get_by_role("button", name="Delete run…").count() == 0
    sign_out(page)

    sign_in(page, url, "ana")  # the owner maintains: seal and delete
    open_run(page, url, run, "owner")
    assert page.get_by_role("textbox", name="Notes").input_value().startswith("lr too high")
    page.get_by_role("button", name="Seal run").click()
    page.get_by_role("button", name="Seal run").wait_for(state="detached")
    page.get_by_test_id("tab-environment").click()
    page.get_by_test_id("seal-hash").wait_for()
    assert page.get_by_role("button", name="Delete run…").is_visible()
    page.get_by_test_id("tab-audit").click()  # the run's own audit entries
    page.locator("[data-testid=audit-row][data-action='run.seal']").wait_for()
    actions = page.locator("[data-testid=audit-row]").evaluate_all(
        "rows => rows.map(r => r.dataset.action)"
    )
    assert actions[0] == "run.seal" and actions[-1] == "run.create"  # newest first
    assert "run.update" in actions  # eddie's note

    open_run(page, url, team.runs["scratch"], "owner")  # a sealed run is deleted with a reason
    page.get_by_role("button", name="Delete run…").click()
    dialog = page.get_by_role("dialog")
    confirm = dialog.get_by_role("button", name="Delete run", exact=True)
    expect(confirm).to_be_disabled()
    dialog.get_by_label("Reason (required: the run is sealed)").fill("a scratch run")
    confirm.click()
    page.wait_for_url(f"{url}/projects/vision")
    page.wait_for_selector("[data-testid=run-row]")
    assert "scratch" not in page.locator("[data-testid=run-row] a").all_inner_texts()


def test_a_change_without_the_csrf_token_is_refused(page, team, console):
    sign_in(page, team.url, "eddie")
    console.expect(REFUSED[403])
    refused = fetch(page, "POST", "/api/v1/runs/count", csrf=False)
    assert refused["status"] == 403
    assert refused["body"]["details"]["reason"] == "csrf"
    allowed = fetch(page, "POST", "/api/v1/runs/count", csrf=True)
    assert allowed["status"] == 200 and allowed["body"]["total"] >= 1


def test_signing_out_ends_the_session(page, team, console):
    sign_in(page, team.url, "vic")
    page.get_by_test_id("projects-table").wait_for()
    sign_out(page)
    assert page.url == f"{team.url}/login"
    console.expect(REFUSED[401])
    status = page.evaluate("fetch('/api/v1/projects').then(r => r.status)")
    assert status == 401
    page.goto(team.url)  # the UI asks for a login again
    page.get_by_test_id("login-form").wait_for()
    assert page.get_by_test_id("user-menu").count() == 0


def test_a_session_that_ends_while_in_use_goes_to_the_login_page(page, team, console):
    sign_in(page, team.url, "vic")
    page.get_by_role("link", name="vision").wait_for()
    page.context.clear_cookies()  # as when the session expires or the user is disabled
    console.expect(REFUSED[401])
    page.get_by_role("link", name="vision").click()
    page.get_by_test_id("login-form").wait_for()
    assert "next=%2Fprojects%2Fvision" in page.url
    submit(page, "vic", PASSWORD)
    page.wait_for_selector("[data-testid=run-row]")
    assert page.url.endswith("/projects/vision")


def test_a_login_link_signs_in_admin_once_and_a_password_ends_the_printed_one(page, team):
    error = page.get_by_test_id("login-error")
    page.goto(team.link)  # printed at the first start, ended when admin's password was set
    error.wait_for()
    assert error.inner_text() == "That login link was already used or is invalid."
    link = labledger("users", "login-link", "admin", "--url", team.url, *team.store).strip()
    assert LINK.fullmatch(link), link
    page.goto(link)
    page.get_by_test_id("signed-in-as").wait_for()
    assert page.url == f"{team.url}/"
    assert "signed in as admin (admin)" in page.get_by_test_id("signed-in-as").inner_text()
    sign_out(page)
    page.goto(link)  # used: the server sends the browser to /login?error=link
    error.wait_for()
    assert error.inner_text() == "That login link was already used or is invalid."


def test_an_owner_manages_members_and_sees_why_a_change_is_refused(page, team, console):
    from playwright.sync_api import expect

    sign_in(page, team.url, "ana")
    page.goto(f"{team.url}/projects/vision")
    page.get_by_role("link", name="Members").click()
    page.get_by_test_id("members-table").wait_for()
    assert page.title() == "Members · vision · LabLedger"
    rows = page.locator("[data-testid=member-row]")
    assert sorted(rows.evaluate_all("rs => rs.map(r => r.dataset.user)")) == ["ana", "eddie", "vic"]
    console.expect(REFUSED[404])
    console.expect(REFUSED[409])
    error = page.get_by_test_id("member-error")
    page.get_by_label("User name").fill("nobody")
    page.get_by_role("button", name="Add member").click()
    error.wait_for()
    assert "No such user" in error.inner_text()
    page.get_by_label("Role of ana").select_option("viewer")  # the only owner
    expect(error).to_contain_text("A project keeps at least one owner")
    page.get_by_label("User name").fill("carol")
    page.get_by_label("Role", exact=True).select_option("viewer")
    page.get_by_role("button", name="Add member").click()
    page.locator("[data-testid=member-row][data-user=carol]").wait_for()
    assert error.count() == 0
    page.get_by_role("button", name="Remove carol").click()
    page.locator("[data-testid=member-row][data-user=carol]").wait_for(state="detached")


def test_an_admin_reads_the_audit_log_and_verifies_its_chain(page, team):
    sign_in(page, team.url, "admin")
    page.get_by_role("link", name="Audit log").click()
    page.get_by_test_id("audit-table").wait_for()
    assert page.title() == "Audit log · LabLedger"
    seqs = page.locator("[data-testid=audit-row]").evaluate_all(
        "rows => rows.map(r => Number(r.dataset.seq))"
    )
    assert len(seqs) > 5 and seqs == sorted(seqs, reverse=True)  # newest first
    page.get_by_label("Actor").fill("bob")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=audit-row] td:nth-child(3)')]"
        ".every(td => td.textContent === 'bob')"
    )
    assert "actor=bob" in page.url and page.locator("[data-testid=audit-row]").count() > 0
    page.get_by_role("button", name="Verify chain").click()
    result = page.get_by_test_id("chain-result")
    result.wait_for()
    assert result.get_attribute("data-ok") == "true"
    assert result.inner_text().startswith("✓ ok:")


def test_an_admin_adds_and_disables_a_user(page, team):
    sign_in(page, team.url, "admin")
    page.get_by_role("link", name="Users").click()
    page.get_by_test_id("users-table").wait_for()
    page.get_by_label("New user name").fill("dora")
    page.get_by_role("button", name="Add user").click()
    row = page.locator("[data-testid=user-row][data-user=dora]")
    row.wait_for()
    page.get_by_role("button", name="Login link for dora").click()
    assert LINK.search(page.get_by_test_id("login-link").inner_text())
    page.get_by_role("button", name="Disable dora").click()
    page.locator("[data-testid=user-row][data-user=dora][data-disabled=true]").wait_for()
    page.get_by_role("button", name="Enable dora").click()
    page.locator("[data-testid=user-row][data-user=dora][data-disabled=false]").wait_for()


def set_password(  # type: ignore[no-untyped-def]
    page, new: str, repeated: str | None = None, current: str | None = None
) -> None:
    form = page.get_by_test_id("password-form")
    if current is not None:  # not exact: its label ends in the required asterisk
        form.get_by_label("Current password").fill(current)
    form.get_by_label("New password", exact=True).fill(new)
    form.get_by_label("Repeat the new password", exact=True).fill(
        new if repeated is None else repeated
    )
    form.get_by_role("button", name="Set password").click()


def test_a_user_from_a_login_link_sets_a_password_changes_it_and_signs_in_with_it(
    page, team, console
):
    from playwright.sync_api import expect

    sign_in(page, team.url, "admin")
    page.get_by_role("link", name="Users").click()
    page.get_by_label("New user name").fill("pat")
    page.get_by_role("button", name="Add user").click()
    page.get_by_role("button", name="Login link for pat").click()
    found = LINK.search(page.get_by_test_id("login-link").inner_text())
    assert found, "the Users page shows the link"
    sign_out(page)

    page.goto(found.group(1))
    page.get_by_test_id("signed-in-as").wait_for()
    assert "signed in as pat" in page.get_by_test_id("signed-in-as").inner_text()
    page.get_by_role("link", name="Account").click()
    expect(page).to_have_title("Your account · LabLedger")  # once its lazy chunk loaded
    expect(page.get_by_test_id("has-password")).to_have_attribute("data-set", "false")
    form = page.get_by_test_id("password-form")
    expect(form).to_have_attribute("data-asks-current", "false")  # no password yet
    assert form.get_by_label("Current password").count() == 0
    puts: list[tuple[str, dict[str, str]]] = []
    page.on(
        "request",
        lambda r: puts.append((r.url, r.post_data_json)) if r.method == "PUT" else None,
    )
    error = page.get_by_test_id("password-error")
    done = page.get_by_test_id("password-set")
    set_password(page, "too short")  # caught before asking the server
    expect(error).to_contain_text("at least 12 characters (this one has 9)")
    set_password(page, "pat's long passphrase", "pat's long passphrasE")
    expect(error).to_contain_text("The two passwords differ.")
    assert puts == []
    set_password(page, "pat's long passphrase")  # a PUT with the CSRF token
    expect(done).to_contain_text("Sign in as pat with it")
    assert error.count() == 0 and len(puts) == 1
    assert puts[0] == (
        f"{team.url}/api/v1/users/pat/password",
        {"password": "pat's long passphrase"},
    )
    expect(page.get_by_test_id("has-password")).to_have_attribute("data-set", "true")

    # pat, signed in elsewhere too, changes it: now the current password is asked for
    elsewhere = page.context.browser.new_context()
    signed_in = elsewhere.request.post(
        f"{team.url}/api/v1/auth/login", data={"user": "pat", "password": "pat's long passphrase"}
    )
    assert signed_in.status == 200
    assert elsewhere.request.get(f"{team.url}/api/v1/projects").status == 200
    expect(form).to_have_attribute("data-asks-current", "true")
    set_password(page, "pat's newer passphrase", current="")  # caught before asking
    expect(error).to_contain_text("Type your current password too.")
    console.expect(REFUSED[403])
    set_password(page, "pat's newer passphrase", current="not pat's passphrase")
    expect(error).to_contain_text("The current password is not right.")
    assert len(puts) == 2 and puts[1][1] == {
        "password": "pat's newer passphrase",
        "current": "not pat's passphrase",
    }
    set_password(page, "pat's newer passphrase", current="pat's long passphrase")
    expect(done).to_contain_text("Your other sessions were signed out")
    assert error.count() == 0 and len(puts) == 3
    assert elsewhere.request.get(f"{team.url}/api/v1/projects").status == 401  # ended
    elsewhere.close()
    page.reload()  # the session that made the change stays
    expect(page.get_by_test_id("signed-in-as")).to_contain_text("signed in as pat")
    sign_out(page)
    sign_in(page, team.url, "pat", "pat's newer passphrase")


def test_an_admin_sets_a_users_password_on_the_users_page(page, team):
    from playwright.sync_api import expect

    sign_in(page, team.url, "admin")
    page.get_by_role("link", name="Users").click()
    row = page.locator("[data-testid=user-row][data-user=carol]")
    expect(row.locator("td").nth(3)).to_have_text("no")
    page.get_by_role("button", name="Set password for carol").click()
    dialog = page.get_by_role("dialog", name="Set the password of carol")
    set_password(dialog, "carol's new passphrase")
    expect(dialog.get_by_test_id("password-set")).to_contain_text("carol can sign in with it")
    expect(dialog.get_by_test_id("password-set")).to_contain_text(
        "Their open sessions were signed out"
    )
    expect(row.locator("td").nth(3)).to_have_text("yes")
    # carol has a password now; an admin setting it again still needs no current one
    expect(dialog.get_by_test_id("password-form")).to_have_attribute("data-asks-current", "false")
    assert dialog.get_by_label("Current password").count() == 0
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_have_count(0)
    sign_out(page)
    sign_in(page, team.url, "carol", "carol's new passphrase")


def test_a_user_creates_a_token_sees_it_once_and_revokes_it(page, team):
    sign_in(page, team.url, "eddie")
    page.get_by_role("link", name="Tokens").click()
    page.get_by_label("Label").fill("laptop")
    page.get_by_label("Scope").select_option("read")
    page.get_by_label("Expires after").select_option("30d")
    page.get_by_role("button", name="Create token").click()
    secret = page.get_by_test_id("token-secret").inner_text()
    assert re.fullmatch(r"ll_[A-Za-z0-9_-]{43}", secret)
    assert page.get_by_role("button", name="Copy token").is_visible()
    row = page.locator("[data-testid=token-row][data-label=laptop]")
    row.wait_for()
    assert row.get_attribute("data-state") == "active" and secret not in row.inner_text()
    page.get_by_role("button", name="Revoke laptop").click()
    page.locator("[data-testid=token-row][data-label=laptop][data-state=revoked]").wait_for()
    page.get_by_role("button", name="Dismiss").click()
    assert page.get_by_test_id("token-secret").count() == 0  # never shown again


def test_with_auth_off_there_is_no_login_and_every_control(page, ui_server):
    server, ids = ui_server
    page.goto(f"{server.url}/runs/{ids['diverged']}")
    page.locator("[data-testid=run-tabs][data-role=all]").wait_for()
    assert page.get_by_test_id("user-menu").count() == 0
    assert page.get_by_role("button", name="Sign out").count() == 0
    assert page.get_by_role("textbox", name="Notes").is_visible()
    assert page.get_by_role("button", name="Delete run…").is_visible()
