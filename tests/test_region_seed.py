"""Does the region load from data, idempotently, and can accounts be created from the CLI?"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from regional.extensions import db
from regional.people.models import Role, User
from tenants import all_tenants
from tenants.codes import check_digit, is_valid_code
from tenants.models import Municipality
from tenants.region import RegionFileError, read_region_file

POLICY_CODES = {
    "331007": "岡山市", "332038": "津山市", "332046": "玉野市", "332089": "総社市",
    "332119": "備前市", "332127": "瀬戸内市", "332135": "赤磐市", "332143": "真庭市",
    "333468": "和気町", "334235": "早島町", "336637": "久米南町", "336661": "美咲町",
    "336815": "吉備中央町",
}  # fmt: skip


def test_the_thirteen_members_load_with_the_policy_codes(ctx):
    rows = db.session.scalars(select(Municipality)).all()
    assert {m.code: m.name_ja for m in rows} == POLICY_CODES
    assert [m.code for m in rows if m.coordinating] == ["331007"]


@pytest.mark.parametrize("code", sorted(POLICY_CODES))
def test_every_member_code_has_a_valid_check_digit(code):
    assert is_valid_code(code)
    assert check_digit(code[:5]) == int(code[5])


def test_a_wrong_check_digit_is_refused():
    assert not is_valid_code("331008")
    assert not is_valid_code("33100")
    assert not is_valid_code("３３１００７")


def test_seed_region_runs_twice_without_adding_anything(app, ctx):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-region"])
    assert result.exit_code == 0, result.output
    assert "municipalities: 0 added, 0 updated" in result.output
    assert "programmes: 0 added" in result.output
    assert db.session.scalar(select(func.count()).select_from(Municipality)) == 13


def test_another_region_file_with_a_bad_code_loads_nothing(app, ctx, tmp_path):
    bad = tmp_path / "region.toml"
    bad.write_text(
        '[[municipality]]\ncode = "123456"\nname_ja = "架空市"\nname_en = "Nowhere"\n'
        'kind = "city"\ncoordinating = true\n',
        encoding="utf-8",
    )
    with pytest.raises(RegionFileError):
        read_region_file(bad)
    result = app.test_cli_runner().invoke(args=["seed-region", "--file", str(bad)])
    assert result.exit_code != 0
    assert "not a valid local-government code" in result.output
    assert db.session.scalar(select(func.count()).select_from(Municipality)) == 13


def test_users_create_reads_the_password_from_standard_input(app, ctx):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "--municipality", "332089", "--role", "coordinator",
              "--email", "Kenshu@City.Soja.lg.jp", "--name", "髙橋 𠮷子"],
        input="a quiet meadow by the river 42\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with all_tenants(db.session):
        user = db.session.scalar(select(User).where(User.email == "kenshu@city.soja.lg.jp"))
    assert user.name == "髙橋 𠮷子"
    assert user.role == Role.COORDINATOR
    assert user.municipality.code == "332089"
    assert user.password_hash.startswith("$argon2")


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["--municipality", "999999", "--role", "employee"], "a quiet meadow by the river 42", "unknown municipality"),
        (["--municipality", "332038", "--role", "regional_admin"], "a quiet meadow by the river 42", "coordinating municipality"),
        (["--municipality", "332038", "--role", "employee"], "short1", None),
        (["--municipality", "332038", "--role", "employee"], "password123", None),
    ],
)  # fmt: skip
def test_users_create_refuses_bad_input_and_writes_nothing(app, ctx, args, password, message):
    before = _count_users()
    result = app.test_cli_runner().invoke(
        args=["users", "create", *args, "--email", "new.person@example.lg.jp", "--name", "新人"],
        input=password + "\n",
    )
    assert result.exit_code != 0
    if message is None:  # the password rule's own words, in the platform's language
        from regional.auth.passwords import password_problems

        message = password_problems(password)[0]
    assert message in result.output
    assert _count_users() == before


def test_users_create_refuses_an_email_in_use(app, ctx, world):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "--municipality", "332046", "--role", "employee",
              "--email", world.emails["employee_a"], "--name", "重複"],
        input="a quiet meadow by the river 42\n",
    )  # fmt: skip
    assert result.exit_code != 0
    assert "exists" in result.output


def _count_users() -> int:
    with all_tenants(db.session):
        return db.session.scalar(select(func.count()).select_from(User))


def test_regional_admin_working_in_another_member_can_switch_language(as_admin, world):
    assert as_admin.form_post("/admin/switch", {"municipality": "332038"}).status_code == 302
    resp = as_admin.form_post("/language", {"lang": "en", "next": "/"})
    assert resp.status_code == 302
    page = as_admin.get("/")
    assert 'lang="en"' in page.get_data(as_text=True)
