from tercero.platform.identity.tests.factories import PASSWORD


def test_anonymous_home_redirects_to_sign_in(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


def test_client_user_sees_only_their_own_client(client, tenant_a, tenant_b):
    # given a user of client A, signed in with a password
    client.post("/login/", {"username": tenant_a.client_user.email, "password": PASSWORD})
    # when they open the home page, they land on the client portal
    landing = client.get("/")
    assert landing.status_code == 302
    assert landing["Location"] == "/portal/"
    # and the overview (stay=1) shows their name, role and client A only
    response = client.get("/?stay=1")
    page = response.content.decode()
    assert response.status_code == 200
    assert tenant_a.client_user.full_name in page
    assert "Client user" in page
    assert "Acme Retail Inc" in page
    assert "Bergmann" not in page


def test_provider_admin_sees_every_granted_client(client, provider_admin):
    client.force_login(provider_admin)
    page = client.get("/?stay=1").content.decode()
    assert "Acme Retail Inc" in page
    assert "Bergmann Maschinenbau GmbH" in page
    assert "Provider admin" in page


def test_home_links_to_the_api_documentation(client, tenant_a):
    client.force_login(tenant_a.agent)
    page = client.get("/?stay=1").content.decode()
    assert 'href="/api/v1/docs"' in page
    assert page.count("<h1") == 1


def test_signed_in_user_visiting_login_goes_home(client, tenant_a):
    client.force_login(tenant_a.agent)
    response = client.get("/login/")
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_each_role_starts_on_its_own_page(client, tenant_a, provider_admin):
    # an agent starts in the workspace, a provider admin on the floor
    client.force_login(tenant_a.agent)
    assert client.get("/")["Location"] == "/work/"
    client.force_login(provider_admin)
    assert client.get("/")["Location"] == "/ops/"
