"""Two-factor sign-in: a time-based code from an authenticator app (TOTP, RFC 6238) with ten single-use
recovery codes, on django-otp's TOTP and static devices.

- City and district accounts must use it when REQUIRE_STAFF_2FA is on (the production default); every
  other account may switch it on (and off again) on the page 「两步验证」.
- A session signed in with the password alone is *pending*: accounts.middleware.TwoFactorMiddleware lets it
  reach only the second step (or, for staff without a device, the setup page) until a code is accepted.
- A code is checked by django-otp's devices, which slow down guessing: after n wrong codes the device
  refuses every code for 2^(n-1) seconds (OTP_TOTP_THROTTLE_FACTOR / OTP_STATIC_THROTTLE_FACTOR). Before
  any device is asked, all of the user's devices must be willing, so guessing recovery codes also blocks
  the app's codes and the other way round; the refusal says when to try again.
- A wrong code, a used recovery code and every change are security events in the audit trail.

django-otp keeps recovery codes as plain text (StaticToken.token); they are worth as much as the
password plus the authenticator, and are shown to the user once, when they are made.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, cast

import django_otp
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import audit
from accounts.errors import InvalidInput, NotAllowed
from accounts.models import Role, User
from accounts.proxies import client_ip

# Roles that must use two-factor sign-in when REQUIRE_STAFF_2FA is on (issue 14: city and district staff).
STAFF_ROLES = (Role.CITY, Role.DISTRICT)
RECOVERY_CODE_COUNT = 10
# The longest code a form or the API accepts (a recovery code is 8 characters, a TOTP 6 digits; spaces and
# hyphens that people type are dropped before checking).
CODE_MAX_LENGTH = 20
DEVICE_NAME = "authenticator"
RECOVERY_NAME = "recovery"


class Throttled(Exception):
    """Too many wrong codes: no code is checked until `until`."""

    def __init__(self, until: dt.datetime) -> None:
        super().__init__(until)
        self.until = until

    @property
    def seconds(self) -> int:
        return max(1, int((self.until - timezone.now()).total_seconds() + 0.999))

    def message(self) -> str:
        local = timezone.localtime(self.until)
        return _("验证码错误次数过多，请在 %(seconds)d 秒后（%(time)s 之后）重试。") % {
            "seconds": self.seconds,
            "time": local.strftime("%H:%M:%S"),
        }


# --- who needs what ---------------------------------------------------------------------------------------


def required(user: Any) -> bool:
    """Whether this account must use two-factor sign-in (staff, when REQUIRE_STAFF_2FA is on)."""
    return bool(getattr(settings, "REQUIRE_STAFF_2FA", False)) and getattr(user, "role", None) in STAFF_ROLES


def totp_device(user: Any, *, confirmed: bool = True) -> TOTPDevice | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("-id").first()


def enabled(user: Any) -> bool:
    """Whether two-factor sign-in is on for the account (User.two_factor_enabled, which the functions
    below keep equal to "has a confirmed authenticator"; no query)."""
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "two_factor_enabled", False))


def has_device(user: Any) -> bool:
    """Whether the account really has a confirmed authenticator (one query)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def _mark(user: Any, on: bool) -> None:
    User.objects.filter(pk=user.pk).update(two_factor_enabled=on)
    user.two_factor_enabled = on


def repair(user: Any) -> bool:
    """Make the account's flag agree with its devices (after a device was removed elsewhere, e.g. in the
    admin); returns whether two-factor sign-in is on."""
    actual = has_device(user)
    if actual != enabled(user):
        _mark(user, actual)
    return actual


def may_disable(user: Any) -> bool:
    return not required(user)


def is_verified(request: HttpRequest) -> bool:
    """Whether this session has passed the second step (django-otp's OTPMiddleware marks the user)."""
    user = getattr(request, "user", None)
    verified = getattr(user, "is_verified", None)
    return bool(verified()) if callable(verified) else False


def gate(request: HttpRequest) -> str:
    """What a signed-in session must do before anything else: "verify" (enter a code), "setup" (staff
    without an authenticator, when required) or "" (nothing)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or is_verified(request):
        return ""
    if enabled(user):
        return "verify"
    if required(user):
        return "setup"
    return ""


def gate_message(state: str) -> str:
    if state == "setup":
        return _("按规定，市级和区县账户须启用两步验证，请先完成设置（%(url)s）。") % {
            "url": _url("accounts:twofactor_setup")
        }
    return _("请先输入两步验证码完成登录（%(url)s）。") % {"url": _url("accounts:twofactor_verify")}


def _url(name: str) -> str:
    from django.urls import reverse

    return reverse(name)


# --- checking a code --------------------------------------------------------------------------------------


def normalize(code: str) -> str:
    """A code as typed, without the spaces and hyphens people add, in lower case (recovery codes are)."""
    return re.sub(r"[\s\-]+", "", code or "").lower()[:CODE_MAX_LENGTH]


def _devices(user: User) -> list[Any]:
    return [
        *TOTPDevice.objects.filter(user=user, confirmed=True),
        *StaticDevice.objects.filter(user=user, confirmed=True),
    ]


def _throttle(devices: list[Any]) -> None:
    """Raise Throttled when any of the devices refuses to check a code now."""
    until = None
    for device in devices:
        allowed, data = device.verify_is_allowed()
        if not allowed:
            moment = (data or {}).get("locked_until") or timezone.now() + dt.timedelta(seconds=1)
            until = moment if until is None else max(until, moment)
    if until is not None:
        raise Throttled(until)


def check_code(user: User, code: str, *, devices: list[Any] | None = None) -> Any:
    """The device that accepts `code` (a recovery code is used up), or None. Raises Throttled while the
    user's devices are slowing down guessing. A code of digits goes to the authenticator, anything else to
    the recovery codes, so a mistyped code counts against one device only."""
    devices = _devices(user) if devices is None else devices
    _throttle(devices)
    code = normalize(code)
    if not code:
        return None
    wanted = TOTPDevice if code.isdigit() else StaticDevice
    for device in devices:
        if isinstance(device, wanted):
            # django-otp locks the device row while it checks, so two requests cannot use one code twice.
            return django_otp.verify_token(user, device.persistent_id, code)
    return None


def check_and_audit(user: User, code: str, *, address: str = "", purpose: str = "") -> Any:
    """check_code, with the outcome in the audit trail: a wrong or throttled code is `auth.2fa_failed`, a
    recovery code `auth.2fa_recovery_used` (with how many are left). Returns the device or None; raises
    Throttled."""
    try:
        device = check_code(user, code)
    except Throttled:
        detail = " · ".join(part for part in (purpose, "throttled") if part)
        audit.record_security_event(
            action="auth.2fa_failed", user=user, address=address, detail=detail, by_owner=False
        )
        raise
    if device is None:
        audit.record_security_event(
            action="auth.2fa_failed", user=user, address=address, detail=purpose, by_owner=False
        )
    elif isinstance(device, StaticDevice):
        left = StaticToken.objects.filter(device=device).count()
        detail = " · ".join(part for part in (purpose, f"recovery codes left: {left}") if part)
        audit.record_security_event(
            action="auth.2fa_recovery_used", user=user, address=address, detail=detail
        )
    return device


def verify(request: HttpRequest, code: str) -> Any:
    """The second step of signing in: check `code` and mark the session verified. Returns the device, or
    None for a wrong code; raises Throttled."""
    user = _user(request)
    device = check_and_audit(user, code, address=client_ip(request))
    if device is not None:
        # A new session key for the fully signed-in session, as Django gives one at the password step.
        request.session.cycle_key()
        django_otp.login(request, device)
        if isinstance(device, TOTPDevice):
            audit.record_security_event(action="auth.2fa_verify", user=user, address=client_ip(request))
    return device


def _user(request: HttpRequest) -> User:
    user = request.user
    if not getattr(user, "is_authenticated", False):
        raise NotAllowed
    return cast(User, user)


# --- setting up, recovery codes, switching off -------------------------------------------------------------


def pending_device(user: User) -> TOTPDevice:
    """The authenticator being set up: unconfirmed until a code from it is accepted. The same secret is shown
    until then, so reloading the page does not invalidate a scan already made."""
    device = totp_device(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def secret_base32(device: TOTPDevice) -> str:
    """The secret as people type it into an app: base32 in groups of four."""
    from base64 import b32encode

    text = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URI as an SVG QR code, made here (segno) so the secret never leaves the server."""
    import segno

    return str(
        segno.make(device.config_url, error="m").svg_inline(
            scale=5, dark="#1a1a1a", light="#ffffff", omitsize=True, title=_("两步验证二维码")
        )
    )


def _new_recovery_codes(user: User) -> list[str]:
    # The same device keeps its id, so a session verified with a recovery code stays verified.
    device = StaticDevice.objects.filter(user=user, confirmed=True).order_by("id").first()
    if device is None:
        device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    StaticToken.objects.filter(device=device).delete()
    codes: list[str] = []
    while len(codes) < RECOVERY_CODE_COUNT:
        code = StaticToken.random_token()
        if code not in codes:
            codes.append(code)
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def twofactor_enable(*, request: HttpRequest, device: TOTPDevice, code: str) -> list[str]:
    """Confirm the authenticator being set up with a code from it; returns the new recovery codes (shown
    once). The session counts as verified from here on."""
    user = _user(request)
    if device.user_id != user.pk or device.confirmed:
        raise NotAllowed
    matched = check_code(user, code, devices=[device])
    if matched is None:
        audit.record_security_event(
            action="auth.2fa_failed", user=user, address=client_ip(request), detail="setup", by_owner=False
        )
        raise InvalidInput(_("验证码不正确，请核对手机上显示的 6 位数字后重试。"))
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
        device.confirmed = True
        _mark(user, True)
        codes = _new_recovery_codes(user)
        audit.record_security_event(
            action="auth.2fa_enable",
            user=user,
            address=client_ip(request),
            detail=f"recovery codes: {len(codes)}",
        )
    django_otp.login(request, device)
    return codes


def twofactor_recovery_regenerate(*, request: HttpRequest, code: str) -> list[str]:
    """New recovery codes (the old ones stop working), after a current code; returns them (shown once)."""
    user = _user(request)
    if not enabled(user):
        raise NotAllowed
    _reauthenticate(request, code, purpose="regenerate")
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        audit.record_security_event(
            action="auth.2fa_recovery_regenerate",
            user=user,
            address=client_ip(request),
            detail=f"recovery codes: {len(codes)}",
        )
    return codes


def twofactor_disable(*, request: HttpRequest, code: str) -> None:
    """Switch two-factor sign-in off (not for accounts that must use it), after a current code."""
    user = _user(request)
    if not enabled(user) or not may_disable(user):
        raise NotAllowed
    _reauthenticate(request, code, purpose="disable")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        _mark(user, False)
        audit.record_security_event(action="auth.2fa_disable", user=user, address=client_ip(request))
    request.session.pop(django_otp.DEVICE_ID_SESSION_KEY, None)


def _reauthenticate(request: HttpRequest, code: str, *, purpose: str) -> None:
    """A change to two-factor sign-in asks for a current code again (authenticator or recovery code)."""
    if check_and_audit(_user(request), code, address=client_ip(request), purpose=purpose) is None:
        raise InvalidInput(_("验证码不正确。"))


def twofactor_reset(*, user: User, operator: str) -> int:
    """Remove every device of `user` (an operator's command, when both the phone and the recovery codes are
    lost); staff who must use two-factor sign-in are sent to set it up again at the next sign-in."""
    with transaction.atomic():
        removed, _counts = TOTPDevice.objects.filter(user=user).delete()
        removed_static, _counts = StaticDevice.objects.filter(user=user).delete()
        _mark(user, False)
        audit.record_security_event(
            action="auth.2fa_reset", user=user, detail=f"by operator {operator}", by_owner=False
        )
    return int(removed + removed_static)
