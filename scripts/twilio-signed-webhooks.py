#!/usr/bin/env python3
"""Signs the webhook requests of crates/http/tests/webhooks.rs with the official `twilio`
package from PyPI (its RequestValidator), so the tests check our validator against an
implementation other than ours: a mistake shared by our signer and our validator cannot pass.

    python3 -m venv .venv && .venv/bin/pip install twilio
    .venv/bin/python scripts/twilio-signed-webhooks.py > crates/http/tests/data/twilio_signed_webhooks.json

Every request is described here once (URL as Twilio requests it, parameters in sending
order, body); the output adds the `X-Twilio-Signature` twilio-python computes for it. The
tests send each request to the service, whose PUBLIC_BASE_URL is given per request, and
never recompute a signature themselves.
"""

import json
import sys
from importlib.metadata import version

from twilio.request_validator import RequestValidator

# Fixed test accounts (not real credentials). The subaccount's token is stored sealed in
# the test database; the unknown account is in no table.
MASTER_SID = "AC" + "11" * 16
MASTER_TOKEN = "5f1c0e8a9b7d4c3e2a1f0e9d8c7b6a59"
SUB_SID = "AC" + "22" * 16
SUB_TOKEN = "0b6f2a4c8e1d3f5a7c9e0b2d4f6a8c1e"
UNKNOWN_SID = "AC" + "33" * 16
TOKENS = {"master": MASTER_TOKEN, "sub": SUB_TOKEN}

PUBLIC = "https://numbers.example.com"
CHANNEL = "5b0c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3"
CALL_SID = "CA" + "0123456789abcdef" * 2
TO = "+442071838750"
FROM = "+447700900123"


class Pairs:
    """Ordered form pairs with repeats, read the way twilio-python reads a Flask MultiDict."""

    def __init__(self, pairs):
        self.pairs = pairs

    def __iter__(self):
        return iter(key for key, _ in self.pairs)

    def getall(self, key):
        return [value for k, value in self.pairs if k == key]


def voice_params(account_sid):
    return [
        ("AccountSid", account_sid),
        ("ApiVersion", "2010-04-01"),
        ("CallSid", CALL_SID),
        ("CallStatus", "ringing"),
        ("Called", TO),
        ("CalledCountry", "GB"),
        ("Caller", FROM),
        ("CallerCountry", "GB"),
        ("Direction", "inbound"),
        ("From", FROM),
        ("FromCity", "LONDON"),
        ("To", TO),
        ("ToCity", "LONDON"),
    ]


def form(name, public, path, token, params, signed_url=None, note=""):
    """A form POST: Twilio signs the URL it requested plus the sorted parameters."""
    url = signed_url or public + path
    signature = RequestValidator(TOKENS[token]).compute_signature(url, Pairs(params))
    return {
        "name": name,
        "note": note,
        "public_base_url": public,
        "path": path,
        "signed_url": url,
        "token": token,
        "content_type": "application/x-www-form-urlencoded",
        "params": params,
        "signature": signature,
    }


def json_body(name, public, path, token, body, note=""):
    """A JSON POST: Twilio adds bodySHA256 to the query and signs the URL alone."""
    validator = RequestValidator(TOKENS[token])
    path = path + ("&" if "?" in path else "?") + "bodySHA256=" + validator.compute_hash(body)
    url = public + path
    signature = validator.compute_signature(url, {})
    assert validator.validate(url, body, signature)
    return {
        "name": name,
        "note": note,
        "public_base_url": public,
        "path": path,
        "signed_url": url,
        "token": token,
        "content_type": "application/json",
        "body": body,
        "signature": signature,
    }


voice_path = "/webhooks/twilio/voice?channel_id=" + CHANNEL
status_path = "/webhooks/twilio/status?channel_id=" + CHANNEL
status_params = voice_params(MASTER_SID)
status_params = [(k, "completed" if k == "CallStatus" else v) for k, v in status_params] + [
    ("CallDuration", "42"),
    ("CallbackSource", "call-progress-events"),
    ("SequenceNumber", "3"),
]

vectors = [
    form("voice_master", PUBLIC, voice_path, "master", voice_params(MASTER_SID),
         note="the master account's number; PUBLIC_BASE_URL's scheme and host differ from the Host the service sees"),
    form("voice_subaccount", PUBLIC, voice_path, "sub", voice_params(SUB_SID),
         note="another account's number: its sealed token is opened with the keyring"),
    form("voice_detached", PUBLIC, "/webhooks/twilio/voice", "master", voice_params(MASTER_SID),
         note="a detached number's URL has no channel_id"),
    form("status_repeated_keys", PUBLIC, status_path, "master",
         status_params + [("Digits", "5678"), ("Digits", "1234"), ("Digits", "1234")],
         note="a key sent several times: its values sorted and de-duplicated"),
    form("voice_signed_with_default_port", PUBLIC, voice_path, "master", voice_params(MASTER_SID),
         signed_url="https://numbers.example.com:443" + voice_path,
         note="Twilio signed the URL with :443 while PUBLIC_BASE_URL has no port"),
    form("voice_public_url_with_default_port", "https://numbers.example.com:443", voice_path,
         "master", voice_params(MASTER_SID), signed_url=PUBLIC + voice_path,
         note="PUBLIC_BASE_URL has :443 while Twilio signed the URL without a port"),
    form("voice_public_url_with_port_and_path", "http://edge.example.net:8080/numbers",
         "/webhooks/twilio/voice?channel_id=" + CHANNEL, "master", voice_params(MASTER_SID),
         signed_url="http://edge.example.net:8080/numbers/webhooks/twilio/voice?channel_id=" + CHANNEL,
         note="PUBLIC_BASE_URL with a port and a path prefix the proxy strips"),
    json_body("status_json", PUBLIC, status_path, "master",
              json.dumps({"AccountSid": MASTER_SID, "CallSid": CALL_SID, "CallStatus": "completed",
                          "To": TO, "From": FROM, "SequenceNumber": "4"}),
              note="a JSON body: bodySHA256 in the query, the signature over the URL"),
    # Forgeries: correctly signed by twilio-python, but not by the account the request names.
    form("forged_sub_token_master_sid", PUBLIC, voice_path, "sub", voice_params(MASTER_SID),
         note="signed with another account's token (the subaccount's) for a master-account request"),
    form("forged_master_token_sub_sid", PUBLIC, voice_path, "master", voice_params(SUB_SID),
         note="a wrong AccountSid: the request names the subaccount but the master signed it"),
    form("forged_unknown_account", PUBLIC, voice_path, "master", voice_params(UNKNOWN_SID),
         note="an account the service does not know"),
]

json.dump(
    {
        "generated_by": "scripts/twilio-signed-webhooks.py with twilio " + version("twilio"),
        "accounts": {
            "master": {"sid": MASTER_SID, "token": MASTER_TOKEN},
            "sub": {"sid": SUB_SID, "token": SUB_TOKEN},
            "unknown": {"sid": UNKNOWN_SID},
        },
        "channel_id": CHANNEL,
        "vectors": vectors,
    },
    sys.stdout,
    indent=2,
)
sys.stdout.write("\n")
