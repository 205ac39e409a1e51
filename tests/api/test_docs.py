"""The OpenAPI schema and the docs page: served to anyone (they describe, they hold no data),
the docs from our own static files under the site's Content-Security-Policy, unchanged."""

import re

from django.test import Client

from tests.test_security import _csp


def test_the_schema_is_openapi_3_with_a_bearer_scheme_and_problem_documents():
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["components"]["securitySchemes"] == {
        "TokenAuth": {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal access token, created on Settings → API tokens.",
        }
    }
    operation = schema["paths"]["/api/v1/o/{org_slug}/goals/{goal_number}/tasks/"]["post"]
    assert operation["operationId"] == "create_goal_task"
    assert set(operation["responses"]) == {"201", "400", "401", "403", "404", "422", "429"}
    problem = operation["responses"]["404"]["content"]["application/problem+json"]["schema"]
    assert problem == {"$ref": "#/components/schemas/Problem"}


def test_the_docs_page_uses_our_static_files_and_our_csp():
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/static/") for s in sources), sources
    assert "swagger-ui-bundle" in html
    assert "<script>" not in html  # no inline script: the settings are a JSON data block
    csp = _csp(response)
    assert csp["script-src"] == "script-src 'self'"
    assert csp["style-src"] == "style-src 'self'"
    assert csp["connect-src"] == "connect-src 'self'"


def test_any_other_api_url_is_a_problem_document_that_mentions_the_slash():
    response = Client().get("/api/v1/o/acme/goals")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == (
        "No such URL in the API: did you mean /api/v1/o/acme/goals/ ?"
    )
    assert Client().get("/api/v1/").json()["status"] == 404
    assert Client().get("/api/v1/nothing/here").json()["status"] == 404


def test_the_api_takes_bearer_tokens_not_sessions_so_csrf_does_not_apply(
    org, admin, planner, client_for, token_for
):
    # a signed-in browser session is no credential for the API
    assert client_for(admin).get(f"/api/v1/o/{org.slug}/goals/").status_code == 401
    client = Client(
        enforce_csrf_checks=True, headers={"Authorization": f"Bearer {token_for(planner, org)}"}
    )
    response = client.post(f"/api/v1/o/{org.slug}/tasks/", '{"title": "x"}', "application/json")
    assert response.status_code == 403  # the organization takes no goal-less work: not CSRF
    assert "without a goal" in response.json()["detail"]
