"""Every error is an RFC 9457 problem document: `application/problem+json` with type, title,
status and detail, and the fields that were wrong for 400 and 422; bad input is never a 500."""

import json

import pytest

from tests.builders import make_goal


@pytest.fixture
def client(org, lead, api_as):
    make_goal(org, lead, "Grow revenue")
    return api_as(lead)


def _problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    assert body["type"].startswith("urn:vindaris:problem:")
    return body


def test_a_missing_object_is_a_404_problem(client):
    body = _problem(client.get("goals/99/"), 404)
    assert body["detail"] == "No goal G-99 in this organization."
    assert "errors" not in body


def test_a_bad_path_number_is_a_422_on_that_parameter(client):
    body = _problem(client.get("goals/abc/"), 422)
    assert [e["field"] for e in body["errors"]] == ["goal_number"]
    _problem(client.get("goals/0/"), 422)
    _problem(client.get("goals/99999999999/"), 422)


def test_a_body_that_is_not_json_is_a_400_or_422_problem(client):
    response = client.client.post(client.url("goals/"), "{not json", "application/json")
    assert response.status_code in (400, 422)
    body = _problem(response, response.status_code)
    assert body["errors"]


@pytest.mark.parametrize(
    "title",
    ["nul\u0000byte", "lone \ud800 surrogate"],
)
def test_text_the_database_cannot_store_is_a_422_not_a_500(client, title):
    raw = json.dumps({"title": title})  # \u escapes: a lone surrogate survives as JSON
    response = client.client.post(client.url("goals/"), raw, "application/json")
    body = _problem(response, 422)
    assert [e["field"] for e in body["errors"]] == ["title"]


def test_field_errors_name_the_fields(client):
    body = _problem(client.post("goals/", {"priority": "P7"}), 422)
    assert sorted(e["field"] for e in body["errors"]) == ["priority", "title"]


def test_a_service_refusal_is_a_422_with_its_field(client):
    body = _problem(
        client.post("goals/", {"title": "x", "start_date": "2027-02-01", "end_date": "2027-01-01"}),
        422,
    )
    assert body["errors"] == [
        {"field": "end_date", "message": "The period must end on or after its start."}
    ]


def test_an_unsupported_method_is_a_405_problem_with_the_allowed_ones(client):
    response = client.client.delete(client.url("goals/1/"))
    body = _problem(response, 405)
    assert sorted(response["Allow"].split(", ")) == ["GET", "PATCH"]
    assert body["detail"].startswith("DELETE is not one of this URL's methods")
