"""A real Microsoft client library gets a token from kbgap and calls the API.

Usage: get_missing_kbs.py MODE BASE TENANT CLIENT_ID SECRET SOFTWARE_ID
MODE is "msal" (ConfidentialClientApplication, v2 endpoint), "azure-identity"
(ClientSecretCredential) or "v1" (a plain form POST to the v1 endpoint with `resource`, as
Defender's PowerShell samples do). The CA that signed kbgap's certificate comes from
REQUESTS_CA_BUNDLE. Prints one JSON line: the token's status and the API's answer.
"""

import base64
import json
import os
import sys

import requests

RESOURCE = "https://api.securitycenter.microsoft.com"


def claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def token_msal(base, tenant, client_id, secret):
    import msal

    # Instance discovery asks login.microsoftonline.com about the authority's host: off,
    # as for any authority Microsoft does not know.
    app = msal.ConfidentialClientApplication(
        client_id,
        client_credential=secret,
        authority=f"{base}/{tenant}",
        instance_discovery=False,
    )
    result = app.acquire_token_for_client(scopes=[f"{RESOURCE}/.default"])
    if "access_token" not in result:
        raise SystemExit(f"msal: no token: {result}")
    return result["access_token"]


def token_azure_identity(base, tenant, client_id, secret):
    from azure.identity import ClientSecretCredential

    credential = ClientSecretCredential(
        tenant, client_id, secret, authority=base, disable_instance_discovery=True
    )
    return credential.get_token(f"{RESOURCE}/.default").token


def token_v1(base, tenant, client_id, secret):
    response = requests.post(
        f"{base}/{tenant}/oauth2/token",
        data={
            "resource": RESOURCE,
            "client_id": client_id,
            "client_secret": secret,
            "grant_type": "client_credentials",
        },
        timeout=30,
    )
    response.raise_for_status()
    return response.json()["access_token"]


def main():
    mode, base, tenant, client_id, secret, software = sys.argv[1:7]
    get = {
        "msal": token_msal,
        "azure-identity": token_azure_identity,
        "v1": token_v1,
    }[mode]
    token = get(base, tenant, client_id, secret)
    api = requests.get(
        f"{base}/api/Software/{software}/getmissingkbs",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    print(
        json.dumps(
            {
                "status": api.status_code,
                "body": api.json(),
                "claims": claims(token),
                "ca": bool(os.environ.get("REQUESTS_CA_BUNDLE")),
            }
        )
    )


if __name__ == "__main__":
    main()
