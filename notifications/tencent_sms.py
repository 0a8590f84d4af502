"""Tencent Cloud SMS (短信, API version 2021-01-11) through its Python SDK: the only
module that imports it. ``send`` is the function ``settings.SMS_PROVIDER`` names; another
provider is another function of the same signature (see ``notifications.sms``).

One ``SendSms`` call per message: SmsSdkAppId, SignName, TemplateId, TemplateParamSet
and one number in PhoneNumberSet (+86…), signed TC3-HMAC-SHA256 by the SDK with
``SMS_SECRET_ID`` / ``SMS_SECRET_KEY``. The endpoint is ``SMS_ENDPOINT``: an address
starting ``http://`` (tests, on loopback) is spoken to in plain HTTP, anything else over
HTTPS. The answer's ``SendStatusSet`` holds the number's SerialNo, Code ("Ok") and
Message; a whole-request error comes back as ``TencentCloudSDKException``.
"""

from django.conf import settings
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models, sms_client

from .sms import PERMANENT_CODES, SmsError, SmsResult


def _client() -> sms_client.SmsClient:
    endpoint = settings.SMS_ENDPOINT
    scheme = "https"
    if "://" in endpoint:
        scheme, endpoint = endpoint.split("://", 1)
    http = HttpProfile(
        protocol=scheme, endpoint=endpoint.rstrip("/"), reqTimeout=settings.SMS_TIMEOUT
    )
    cred = credential.Credential(settings.SMS_SECRET_ID, settings.SMS_SECRET_KEY)
    return sms_client.SmsClient(
        cred, settings.SMS_REGION, ClientProfile(signMethod="TC3-HMAC-SHA256", httpProfile=http)
    )


def send(*, phone: str, template_id: str, params: list[str]) -> SmsResult:
    """Send one templated SMS to ``phone`` (+86…). Raises ``SmsError``."""
    request = models.SendSmsRequest()
    request.SmsSdkAppId = settings.SMS_SDK_APP_ID
    request.SignName = settings.SMS_SIGN_NAME
    request.TemplateId = template_id
    request.TemplateParamSet = list(params)
    request.PhoneNumberSet = [phone]
    try:
        response = _client().SendSms(request)
    except TencentCloudSDKException as exc:
        # A whole-request error: auth, app id, template or signature (fixed by the operator),
        # limits, network, HTTP 5xx are retried; content the template refuses is not.
        code = str(exc.get_code() or "SdkError")
        message = str(exc.get_message() or "")[:500]
        raise SmsError(code, message, permanent=code in PERMANENT_CODES) from None
    statuses = response.SendStatusSet or []
    if not statuses:
        raise SmsError("EmptyAnswer", "SendStatusSet is empty")
    status = statuses[0]
    code, message = status.Code or "", status.Message or ""
    if code != "Ok":
        raise SmsError(code, message, permanent=code in PERMANENT_CODES)
    return SmsResult(serial_no=status.SerialNo or "", code=code, message=message)
