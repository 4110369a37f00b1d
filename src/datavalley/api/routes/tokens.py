"""``/api/v1/tokens``: the current user's API tokens. The secret is in the creation response only."""

from __future__ import annotations

from fastapi import APIRouter, Response

from datavalley.access import tokens
from datavalley.access.policy import check_logged_in
from datavalley.access.tokens import TokenCreate, TokenCreated, TokensPublic
from datavalley.api.deps import CallerDep, RuntimeDep

router = APIRouter(prefix="/tokens", tags=["tokens"])


@router.get("", response_model=TokensPublic, summary="My API tokens (never their secrets)")
def list_tokens(rt: RuntimeDep, caller: CallerDep) -> TokensPublic:
    check_logged_in(caller, "listing tokens")
    with rt.session() as session:
        return tokens.list_tokens(session, caller.user or "")


@router.post(
    "", response_model=TokenCreated, status_code=201, summary="Create an API token: the secret is shown once"
)
def create_token(rt: RuntimeDep, caller: CallerDep, body: TokenCreate, response: Response) -> TokenCreated:
    check_logged_in(caller, "creating a token")
    response.headers["Cache-Control"] = "no-store"
    with rt.session() as session:
        return tokens.create_token(session, caller.user or "", body, default_days=rt.settings.auth.token_days)


@router.delete("/{token_id}", status_code=204, summary="Revoke one of my API tokens")
def revoke_token(rt: RuntimeDep, caller: CallerDep, token_id: int) -> Response:
    check_logged_in(caller, "revoking a token")
    with rt.session() as session:
        tokens.revoke_token(session, caller.user or "", token_id)
    return Response(status_code=204)
