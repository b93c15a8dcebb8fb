def test_the_stylesheet_is_served_without_collectstatic(client, db):
    response = client.get("/static/web/tercero.css")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert b":focus-visible" in b"".join(response.streaming_content)


def test_pages_load_no_third_party_assets(client, db):
    page = client.get("/login/").content.decode()
    assert "http://" not in page
    assert "https://" not in page
    assert "<style" not in page
    assert "<script" not in page
