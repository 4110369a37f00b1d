"""Ids beyond what the store's integers hold are "not found" (404), never a 500 from the driver (#14)."""

from __future__ import annotations

import pytest

HUGE = ["2147483648", "9223372036854775808", "99999999999999999999999"]


@pytest.mark.parametrize("number", HUGE)
def test_huge_ids_are_not_found(client, number):
    for method, path, body in (
        ("GET", f"/api/v1/grants/{number}", None),
        ("POST", f"/api/v1/grants/{number}/revoke", {"reason": "x"}),
        ("GET", f"/api/v1/requests/{number}", None),
        ("POST", f"/api/v1/requests/{number}/review", {"outcome": "pass"}),
        ("POST", f"/api/v1/requests/{number}/decision", {"outcome": "approve"}),
        ("POST", f"/api/v1/requests/{number}/withdraw", {}),
        ("DELETE", f"/api/v1/tokens/{number}", None),
    ):
        answer = client.request(method, path, json=body)
        assert answer.status_code in (404, 422), (method, path, answer.status_code, answer.text)
        assert "error" in answer.json()
        if answer.status_code == 422:  # the body did not validate before the id was looked up
            assert all(d["field"] != "grant_id" for d in answer.json()["error"]["details"])
