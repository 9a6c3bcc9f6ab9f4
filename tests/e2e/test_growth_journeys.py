"""Journeys: a qualification recorded and verified; a certificate downloaded and checked by a stranger."""

from __future__ import annotations

import io
import re

from playwright.sync_api import expect
from pypdf import PdfReader

from tests.e2e.helpers import audit, sign_in, sign_out
from tests.fixtures_growth import completed_registration


def test_employee_records_a_qualification_and_the_coordinator_verifies_it(new_page, world):
    employee = new_page()
    sign_in(employee, world.emails["employee_a"])
    employee.goto("/records/my-training/qualifications")
    audit(employee, "my qualifications, empty")
    employee.locator("#exam").select_option("SC")
    employee.locator("#passed_on").fill("2025-10-19")
    employee.locator("#certificate_number").fill("SC-E2E-0001")
    employee.locator("form[enctype] button[type=submit]").click()
    row = employee.locator("[data-testid=my-qualifications] tr", has_text="SC-E2E-0001")
    expect(row.locator("[data-status=unverified]")).to_be_visible()
    audit(employee, "my qualifications, one awaiting verification")

    coordinator = new_page()
    sign_in(coordinator, world.emails["coordinator_a"])
    coordinator.goto("/growth/qualifications/review")
    line = coordinator.locator("tr", has_text="SC-E2E-0001")
    expect(line).to_be_visible()
    audit(coordinator, "qualifications to verify")
    line.locator("form[action$='/verify'] button").click()
    expect(coordinator.locator(".flash-success")).to_be_visible()
    coordinator.goto("/growth/qualifications/summary")
    audit(coordinator, "qualification holders")

    employee.reload()
    expect(row.locator("[data-status=verified]")).to_be_visible()
    sign_out(employee)


def test_employee_downloads_a_certificate_and_a_stranger_checks_it(new_page, world, live_server):
    with live_server.db():
        completed_registration(world, world.employee_a2)
    person = new_page()
    sign_in(person, world.emails["employee_a2"])
    person.goto("/records/my-training/certificates")
    audit(person, "my certificates")
    with person.expect_download() as info:
        person.get_by_test_id("certificate-download").first.click()
    pdf = info.value.path().read_bytes()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "𠮷野 花子" in text and "令和" in text
    code = re.search(r"検証コード ([A-Z2-7]{4}(?:-[A-Z2-7]{4}){3})", text).group(1)
    person.reload()
    expect(person.get_by_test_id("certificate-code")).to_have_text(code)

    stranger = new_page()  # no account, no sign-in
    stranger.goto("/growth/verify")
    audit(stranger, "certificate check, empty")
    stranger.locator("#code").fill(code.lower())
    stranger.locator("form.verify-form button").click()
    expect(stranger.get_by_test_id("certificate-valid")).to_be_visible()
    expect(stranger.get_by_test_id("certificate-name")).to_have_text("𠮷野 花子")
    audit(stranger, "certificate check, valid")
    stranger.locator("#code").fill("AAAA-BBBB-CCCC-DDDD")
    stranger.locator("form.verify-form button").click()
    expect(stranger.get_by_test_id("certificate-invalid")).to_be_visible()
    audit(stranger, "certificate check, unknown code")
