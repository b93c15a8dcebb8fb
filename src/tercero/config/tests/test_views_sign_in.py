import re

from django.contrib.auth import SESSION_KEY

from tercero.platform.identity.tests.factories import PASSWORD


def _sign_in(client, email, password=PASSWORD, **extra):
    return client.post("/login/", {"username": email, "password": password}, **extra)


def test_login_page_is_served_with_a_nonce_based_csp(client, db):
    response = client.get("/login/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    found = re.search(r"script-src 'self' 'nonce-([^']+)'", policy)
    assert found is not None
    nonce = found.group(1)
    assert f'nonce="{nonce}"' in response.content.decode()
    assert "unsafe-inline" not in policy


def test_login_page_labels_the_username_field_e_mail(client, db):
    page = client.get("/login/").content.decode()
    assert '<html lang="en">' in page
    assert page.count("<h1") == 1
    assert '<label for="id_username">E-mail</label>' in page
    assert '<label for="id_password">Password</label>' in page
    assert 'type="email" name="username"' in page


def test_wrong_password_shows_an_error_and_signs_nobody_in(client, tenant_a):
    response = _sign_in(client, tenant_a.client_user.email, password="not the password at all")
    assert response.status_code == 200
    assert "That e-mail and password do not match an active account." in response.content.decode()
    assert SESSION_KEY not in client.session


def test_unknown_e_mail_gets_the_same_error(client, db):
    response = _sign_in(client, "nobody@nowhere.example")
    assert "That e-mail and password do not match an active account." in response.content.decode()


def test_sign_in_rotates_the_session_key(client, tenant_a):
    # given an anonymous session that already has a key
    client.get("/login/")
    session = client.session
    session["seen"] = True
    session.save()
    before = session.session_key
    # when the user signs in
    response = _sign_in(client, tenant_a.client_user.email)
    # then they land home with a new session key
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session.session_key != before
    assert client.session[SESSION_KEY] == str(tenant_a.client_user.pk)


def test_sign_in_follows_a_local_next_but_not_a_foreign_one(client, tenant_a):
    local = client.post(
        "/login/?next=/api/v1/docs",
        {"username": tenant_a.client_user.email, "password": PASSWORD, "next": "/api/v1/docs"},
    )
    assert local["Location"] == "/api/v1/docs"
    client.logout()
    foreign = client.post(
        "/login/",
        {
            "username": tenant_a.client_user.email,
            "password": PASSWORD,
            "next": "https://evil.example/",
        },
    )
    assert foreign["Location"] == "/"


def test_sign_out_is_a_post_and_ends_the_session(client, tenant_a):
    client.force_login(tenant_a.client_user)
    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert SESSION_KEY not in client.session


def test_sign_in_ignores_the_case_of_the_e_mail(client, tenant_a):
    response = _sign_in(client, tenant_a.client_user.email.upper())
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(tenant_a.client_user.pk)
