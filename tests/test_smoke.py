"""Can people sign in and out, and does the app answer in Japanese by default?"""


def test_login_page_is_japanese_by_default(client):
    resp = client.get("/login")
    assert resp.status_code == 200
    assert 'lang="ja"' in resp.get_data(as_text=True)


def test_employee_can_sign_in_and_see_home(as_employee_a, world):
    resp = as_employee_a.get("/")
    assert resp.status_code == 200
    assert "髙橋 太郎" in resp.get_data(as_text=True)


def test_wrong_password_is_refused(client, world):
    resp = client.login(world.emails["employee_a"], "wrong password here 1")
    assert resp.status_code == 401


def test_api_me(api, world):
    resp = api(world.emails["coordinator_a"]).get("/me")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["municipality_code"] == "332038"
    assert body["roles"] == ["employee", "coordinator"]
