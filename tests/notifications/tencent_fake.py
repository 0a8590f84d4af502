"""A loopback fake of Tencent Cloud SMS's HTTP API (``SendSms``, version 2021-01-11).

It checks a request the way the provider does: the TC3-HMAC-SHA256 ``Authorization``
recomputed with the test's secret (a wrong one gets the provider's ``AuthFailure`` JSON),
the ``X-TC-*`` headers and a timestamp within five minutes, then the body: the app id,
the signature name, a known template, as many parameters as the template has variables,
each within the variable limit and without a link, and numbers in +86 form. It answers
like the provider: HTTP 200 with ``Response.SendStatusSet`` (one status per number) or
``Response.Error``; ``fail_next`` scripts a per-number code, a whole-request error or an
HTTP 500 for the next requests. ``texts`` holds what each phone would show.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET_ID = "AKIDtest0000000000000000000000000000"
SECRET_KEY = "test-secret-key-never-real-0000000"
APP_ID = "1400000001"
SIGN_NAME = "石狮调处"
MAX_PARAM = 6
PHONE_RE = re.compile(r"^\+861[3-9]\d{9}$")
LINK_RE = re.compile(r"(https?://|www\.|\.(cn|com|net|org)\b)", re.I)


def tc3_signature(*, secret_key: str, date: str, service: str, string_to_sign: str) -> str:
    def sign(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    signing = sign(sign(sign(("TC3" + secret_key).encode(), date), service), "tc3_request")
    return hmac.new(signing, string_to_sign.encode(), hashlib.sha256).hexdigest()


@dataclass
class Seen:
    """One request as the fake received it, and what it answered."""

    headers: dict
    body: dict | None
    answer: str  # "Ok", a status or error code, or "HTTP 500"


@dataclass
class FakeTencentSms:
    templates: dict[str, str]  # template id -> text with {1}, {2}…
    secret_key: str = SECRET_KEY
    max_param: int = MAX_PARAM  # the account's variable limit
    requests: list[Seen] = field(default_factory=list)
    texts: list[tuple[str, str]] = field(default_factory=list)  # (phone, text shown)
    fail_next: list[tuple[str, str]] = field(default_factory=list)  # (how, code)
    server: ThreadingHTTPServer | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeTencentSms:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep the test output quiet
                pass

            def do_POST(self):  # noqa: N802 - http.server's name
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, payload = fake.answer(self.path, dict(self.headers.items()), raw)
                data = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- the provider's checks ----------------------------------------------------------

    def answer(self, path: str, headers: dict, raw: bytes) -> tuple[int, dict]:
        headers = {k.lower(): v for k, v in headers.items()}
        try:
            body = json.loads(raw.decode())
        except ValueError:
            body = None
        status, payload, verdict = self._judge(path, headers, raw, body)
        self.requests.append(Seen(headers=headers, body=body, answer=verdict))
        return status, payload

    def _judge(self, path, headers, raw, body):
        def error(code, message):
            return 200, {"Response": {"Error": {"Code": code, "Message": message}, **rid()}}, code

        if path != "/":
            return error("InvalidAction", f"no API at {path}")
        auth_error = self._check_auth(headers, raw)
        if auth_error:
            return error(*auth_error)
        if headers.get("x-tc-action") != "SendSms":
            return error("InvalidAction", "action is not SendSms")
        if headers.get("x-tc-version") != "2021-01-11":
            return error("NoSuchVersion", "version is not 2021-01-11")
        if self.fail_next:
            how, code = self.fail_next.pop(0)
            if how == "http500":
                return 500, {"message": "internal server error"}, "HTTP 500"
            if how == "error":
                return error(code, "scripted whole-request failure")
        else:
            how, code = "", ""
        if not isinstance(body, dict):
            return error("FailedOperation.JsonParseFail", "body is not JSON")
        if body.get("SmsSdkAppId") != APP_ID:
            return error("UnauthorizedOperation.SmsSdkAppIdVerifyFail", "unknown SmsSdkAppId")
        if body.get("SignName") != SIGN_NAME:
            return error("FailedOperation.SignatureIncorrectOrUnapproved", "unknown SignName")
        template = self.templates.get(body.get("TemplateId"))
        if template is None:
            return error("FailedOperation.TemplateIncorrectOrUnapproved", "unknown TemplateId")
        params = body.get("TemplateParamSet") or []
        if len(params) != len(re.findall(r"\{\d+\}", template)):
            return error(
                "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
                "TemplateParamSet does not match the template's variables",
            )
        for value in params:
            if LINK_RE.search(value):
                return error(
                    "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter", "link in param"
                )
            if len(value) > self.max_param:
                return error("InvalidParameterValue.TemplateParameterLengthLimit", "too long")
        phones = body.get("PhoneNumberSet") or []
        if not phones:
            return error("MissingParameter.EmptyPhoneNumberSet", "no number")
        statuses = []
        for phone in phones:
            status = {
                "SerialNo": "",
                "PhoneNumber": phone,
                "Fee": 0,
                "SessionContext": "",
                "IsoCode": "CN",
            }
            if how == "number":
                status |= {"Code": code, "Message": "scripted per-number failure"}
            elif not PHONE_RE.match(phone):
                status |= {
                    "Code": "InvalidParameterValue.IncorrectPhoneNumber",
                    "Message": "incorrect phone number",
                }
            else:
                text = template
                for i, value in enumerate(params, start=1):
                    text = text.replace(f"{{{i}}}", value)
                self.texts.append((phone, f"【{SIGN_NAME}】{text}"))
                status |= {
                    "SerialNo": f"2433:{uuid.uuid4().int % 10**20}",
                    "Fee": 1,
                    "Code": "Ok",
                    "Message": "send success",
                }
            statuses.append(status)
        payload = {"Response": {"SendStatusSet": statuses, **rid()}}
        return 200, payload, ",".join(s["Code"] for s in statuses)

    def _check_auth(self, headers, raw) -> tuple[str, str] | None:
        match = re.fullmatch(
            r"TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/sms/tc3_request, "
            r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})",
            headers.get("authorization", ""),
        )
        if not match:
            return "AuthFailure.InvalidAuthorization", "Authorization is not TC3-HMAC-SHA256"
        secret_id, date, signed, signature = match.groups()
        if secret_id != SECRET_ID:
            return "AuthFailure.SecretIdNotFound", "unknown SecretId"
        stamp = headers.get("x-tc-timestamp", "")
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > 300:
            return "AuthFailure.SignatureExpire", "timestamp more than 5 minutes away"
        if datetime.fromtimestamp(int(stamp), UTC).strftime("%Y-%m-%d") != date:
            return "AuthFailure.SignatureFailure", "credential date is not the timestamp's"
        names = signed.split(";")
        if "host" not in names or "content-type" not in names:
            return "AuthFailure.SignatureFailure", "host and content-type must be signed"
        canonical_headers = "".join(f"{n}:{headers.get(n, '').strip().lower()}\n" for n in names)
        canonical = "\n".join(
            ["POST", "/", "", canonical_headers, signed, hashlib.sha256(raw).hexdigest()]
        )
        string_to_sign = "\n".join(
            [
                "TC3-HMAC-SHA256",
                stamp,
                f"{date}/sms/tc3_request",
                hashlib.sha256(canonical.encode()).hexdigest(),
            ]
        )
        expected = tc3_signature(
            secret_key=self.secret_key, date=date, service="sms", string_to_sign=string_to_sign
        )
        if not hmac.compare_digest(expected, signature):
            return "AuthFailure.SignatureFailure", "the signature does not match"
        return None


def rid() -> dict:
    return {"RequestId": str(uuid.uuid4())}
