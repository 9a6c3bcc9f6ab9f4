"""A coordinator loads a CP932 roster in the browser: preview, fix, import, see people and units."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.helpers import audit, sign_in

DOMAIN = "city.tsuyama.lg.jp"


def _roster(third_address: str) -> bytes:
    rows = [
        "職員番号,氏名,メールアドレス,所属,職種",
        f"E2E-R-001,名簿 一郎,roster1@{DOMAIN},名簿局/名簿推進課/第一係,行政職",
        f"Ｅ２Ｅ－Ｒ－００２,名簿 二子,{third_address},名簿局/名簿推進課/第一係,技術職",
        f"E2E-R-003,名簿 三郎,roster3@{DOMAIN},名簿局/名簿推進室,行政職",
    ]
    return ("\r\n".join(rows) + "\r\n").encode("cp932")


def _upload(page, data: bytes) -> None:
    page.goto("/people/roster")
    page.locator("input[type=file][name=file]").set_input_files(
        {"name": "職員名簿.csv", "mimeType": "text/csv", "buffer": data}
    )
    page.locator("form[action$='/people/roster'] button[type=submit]").click()


def test_a_coordinator_imports_a_cp932_roster(page, world, live_server):
    sign_in(page, world.emails["coordinator_a"])
    page.goto("/people/roster")
    audit(page, "roster upload")

    _upload(page, _roster("someone@example.com"))  # line 3: not this municipality's domain
    problems = page.locator(".error-summary")
    expect(problems).to_be_visible()
    expect(page.locator("table td.num", has_text="3").first).to_be_visible()
    expect(page.locator("form[action$='/people/roster/confirm']")).to_have_count(0)
    audit(page, "roster preview with a problem")

    _upload(page, _roster(f"roster2@{DOMAIN}"))  # the file, fixed
    expect(page.locator("form[action$='/people/roster/confirm']")).to_be_visible()
    expect(page.get_by_text("名簿局/名簿推進課/第一係").first).to_be_visible()
    audit(page, "roster preview, ready")

    page.locator("form[action$='/people/roster/confirm'] button[type=submit]").click()
    page.wait_for_url("**/people/roster/done")
    audit(page, "roster imported")

    page.goto("/people/?q=E2E-R-002")
    expect(page.get_by_text("名簿 二子")).to_be_visible()
    page.goto("/people/units")
    expect(page.locator(".tree-name", has_text="名簿推進室")).to_be_visible()


def test_training_record_pages_pass_the_audit(page, world, live_server):
    """My record and a person's record (受講履歴) as the employee and their coordinator see them."""
    sign_in(page, world.emails["employee_a"])
    page.goto("/records/me")
    expect(page.locator("h1")).to_be_visible()
    audit(page, "my training record")
    page.get_by_test_id("sign-out").click()
    page.wait_for_url("**/login")
    sign_in(page, world.emails["coordinator_a"])
    page.goto(f"/records/people/{world.employee_a}")
    expect(page.locator("h1")).to_be_visible()
    audit(page, "a person's training record")
