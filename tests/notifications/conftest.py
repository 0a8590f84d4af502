"""SMS fixtures: a loopback fake of Tencent Cloud SMS, the settings that point the SDK at
it, and a guard that fails the test if any socket connects outside 127.0.0.1."""

import socket

import pytest

from notifications import services as notifications

from . import tencent_fake
from .tencent_fake import FakeTencentSms

REVIEW_ENTRY = "https://tiaojie.example.gov.cn/review/"
TEMPLATES = {
    "1001": "您有一条{1}（单号{2}），请及时登录系统签收处理。",
    "1002": "您有一条{1}（单号{2}），请立即登录系统处理。",
    "2001": "您的纠纷（单号{1}）已办结，请打开 " + REVIEW_ENTRY + " 输入评价码 {2} 作出评价。",
}


@pytest.fixture
def outside_connections(monkeypatch):
    """Every address a socket tried to reach; any outside loopback fails the test."""
    tried = []
    connect = socket.socket.connect

    def guarded(sock, address):
        tried.append(address)
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (host.startswith("127.") or host in ("::1", "")):
            raise OSError(f"test tried to reach {address!r}: nothing may leave the machine")
        return connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    yield tried
    outside = [a for a in tried if isinstance(a, tuple) and not str(a[0]).startswith("127.")]
    assert outside == []


@pytest.fixture
def tencent(settings, monkeypatch, outside_connections):
    """The fake provider on 127.0.0.1, and the settings that send there."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)  # straight to loopback, no proxy
    monkeypatch.setattr(notifications, "_kick_paused_until", 0.0)
    fake = FakeTencentSms(templates=dict(TEMPLATES)).start()
    settings.SMS_ENDPOINT = fake.endpoint
    settings.SMS_SECRET_ID = tencent_fake.SECRET_ID
    settings.SMS_SECRET_KEY = tencent_fake.SECRET_KEY
    settings.SMS_SDK_APP_ID = tencent_fake.APP_ID
    settings.SMS_SIGN_NAME = tencent_fake.SIGN_NAME
    settings.SMS_REGION = "ap-guangzhou"
    settings.SMS_PARAM_MAX_LENGTH = tencent_fake.MAX_PARAM
    settings.SMS_TEMPLATES = {"dispatched": "1001", "escalation_1": "1002", "review_link": "2001"}
    settings.PUBLIC_BASE_URL = "https://tiaojie.example.gov.cn"
    yield fake
    fake.stop()
    # Every request reached the fake, addressed to it.
    assert {seen.headers.get("host") for seen in fake.requests} <= {fake.host}
