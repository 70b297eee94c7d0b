"""Unified social credit code (统一社会信用代码) validation per GB 32100-2015 and GB 11714-1997."""

from __future__ import annotations

import unicodedata

from factories.indicators import Message

__all__ = [
    "CODE_CHARSET",
    "CreditCodeError",
    "credit_code_check_char",
    "make_credit_code",
    "organisation_code_check_char",
    "validate_credit_code",
]

CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 characters of GB 32100-2015; a character's value is its index (used by the check char)."""

_CHAR_VALUE = {char: value for value, char in enumerate(CODE_CHARSET)}
_EXCLUDED_LETTERS = "IOSVZ"
_CREDIT_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

MSG_EMPTY = "请填写统一社会信用代码。"
MSG_LENGTH = "统一社会信用代码应为18位，当前为{length}位。"
MSG_EXCLUDED_LETTER = "含有不允许的字符“{char}”（统一社会信用代码不使用 I、O、S、V、Z）。"
MSG_BAD_CHAR = "含有不允许的字符“{char}”（统一社会信用代码只能由数字0-9和大写英文字母组成）。"
MSG_DIVISION = "第3-8位（登记管理机关行政区划码）应为6位数字，实际为“{part}”。"
MSG_CHECK_CHAR = "第18位校验码错误：应为{expected}，实际为{actual}。"
MSG_ORG_CHECK_CHAR = "第17位（组织机构代码校验码）错误：应为{expected}，实际为{actual}。"
MSG_PART_LENGTH = "{part}应为{expected}位，当前为{length}位。"
MSG_EMPTY_EN = "Please enter the unified social credit code."
MSG_LENGTH_EN = "A unified social credit code has 18 characters; this one has {length}."
MSG_EXCLUDED_LETTER_EN = (
    'Contains the character "{char}", which is not allowed '
    "(unified social credit codes do not use I, O, S, V or Z)."
)
MSG_BAD_CHAR_EN = (
    'Contains the character "{char}", which is not allowed (a unified social credit code consists only of '
    "the digits 0-9 and capital letters)."
)
MSG_DIVISION_EN = (
    "Characters 3-8 (administrative division code of the registration authority) must be 6 digits, "
    'but are "{part}".'
)
MSG_CHECK_CHAR_EN = "The check character (character 18) is wrong: it should be {expected}, not {actual}."
MSG_ORG_CHECK_CHAR_EN = (
    "Character 17 (check character of the organisation code) is wrong: it should be {expected}, not {actual}."
)
MSG_PART_LENGTH_EN = "{part} has {expected} characters; this one has {length}."

PART_ORG_BODY = Message("组织机构代码本体", "The organisation code body")
PART_FIRST17 = Message("统一社会信用代码前17位", "The first 17 characters of the unified social credit code")
PART_PREFIX = Message(
    "登记管理部门代码和机构类别代码", "The registration authority and organisation type code"
)
PART_DIVISION = Message(
    "登记管理机关行政区划码", "The administrative division code of the registration authority"
)


def _message(zh: str, en: str, **values: object) -> Message:
    """Both languages of a message; a code part named in it is put in the same language."""
    return Message(
        zh.format(**{k: str(v) for k, v in values.items()}),
        en.format(**{k: v.en if isinstance(v, Message) else v for k, v in values.items()}),
    )


class CreditCodeError(ValueError):
    """A credit code or code part that breaks GB 32100-2015; `message` is shown to the user as is
    (a Message: the Chinese text, with the English one as `message.en`)."""

    def __init__(self, message: Message) -> None:
        super().__init__(message)
        self.message = message


def _normalise(text: str) -> str:
    """Strip and upper-case; NFKC folds full-width ０-９／Ａ-Ｚ typed with a Chinese IME to ASCII."""
    return unicodedata.normalize("NFKC", text).strip().upper()


def _is_ascii_digits(text: str) -> bool:
    """The division code is six ASCII digits (GB/T 2260); str.isdigit() would also accept ٣ or ३."""
    return all("0" <= char <= "9" for char in text)


def _check_charset(text: str) -> None:
    """Every character must come from the GB 32100-2015 character set."""
    for char in text:
        if char in _CHAR_VALUE:
            continue
        if char in _EXCLUDED_LETTERS:
            raise CreditCodeError(_message(MSG_EXCLUDED_LETTER, MSG_EXCLUDED_LETTER_EN, char=char))
        raise CreditCodeError(_message(MSG_BAD_CHAR, MSG_BAD_CHAR_EN, char=char))


def _check_length(text: str, expected: int, part: Message) -> None:
    """A code part has a fixed length (GB 32100-2015)."""
    if len(text) != expected:
        raise CreditCodeError(
            _message(MSG_PART_LENGTH, MSG_PART_LENGTH_EN, part=part, expected=expected, length=len(text))
        )


def organisation_code_check_char(body8: str) -> str:
    """Check character of an organisation code (GB 11714-1997): C9 = 11 − Σ(Ci·Wi) mod 11."""
    body = _normalise(body8)
    _check_length(body, 8, PART_ORG_BODY)
    _check_charset(body)
    # GB 11714 values letters A=10…Z=35 (its own alphabet, unlike GB 32100's index-in-charset values).
    total = sum(int(char, 36) * weight for char, weight in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 10:
        return "X"
    if check == 11:
        return "0"
    return str(check)


def credit_code_check_char(first17: str) -> str:
    """Check character of a credit code (GB 32100-2015): C18 = 31 − Σ(Ci·3^(i−1) mod 31) mod 31."""
    body = _normalise(first17)
    _check_length(body, 17, PART_FIRST17)
    _check_charset(body)
    total = sum(_CHAR_VALUE[char] * weight for char, weight in zip(body, _CREDIT_WEIGHTS, strict=True))
    return CODE_CHARSET[(31 - total % 31) % 31]


def validate_credit_code(code: str) -> str:
    """Return the normalised code, or raise CreditCodeError if it breaks GB 32100-2015 (DOMAIN §3)."""
    normalised = _normalise(code)
    if not normalised:
        raise CreditCodeError(Message(MSG_EMPTY, MSG_EMPTY_EN))
    if len(normalised) != 18:
        raise CreditCodeError(_message(MSG_LENGTH, MSG_LENGTH_EN, length=len(normalised)))
    _check_charset(normalised)
    # Positions 1-2 are not matched against the authority and type tables: those tables grow by notice
    # (A and N came after 2015), and a mistyped position 1 or 2 already fails the position-18 check.
    division = normalised[2:8]
    if not _is_ascii_digits(division):
        raise CreditCodeError(_message(MSG_DIVISION, MSG_DIVISION_EN, part=division))
    # Position 18 first: a single mistyped character almost always breaks it, so that is the message
    # a user who made a typo should see; a code passing it but failing position 17 was made up.
    expected = credit_code_check_char(normalised[:17])
    if normalised[17] != expected:
        raise CreditCodeError(
            _message(MSG_CHECK_CHAR, MSG_CHECK_CHAR_EN, expected=expected, actual=normalised[17])
        )
    expected_org = organisation_code_check_char(normalised[8:16])
    if normalised[16] != expected_org:
        raise CreditCodeError(
            _message(MSG_ORG_CHECK_CHAR, MSG_ORG_CHECK_CHAR_EN, expected=expected_org, actual=normalised[16])
        )
    return normalised


def make_credit_code(prefix2: str, division6: str, org8: str) -> str:
    """Build a valid credit code from authority+type, division and organisation-code body (GB 32100-2015)."""
    prefix = _normalise(prefix2)
    division = _normalise(division6)
    org_body = _normalise(org8)
    _check_length(prefix, 2, PART_PREFIX)
    _check_charset(prefix)
    _check_length(division, 6, PART_DIVISION)
    if not _is_ascii_digits(division):
        raise CreditCodeError(_message(MSG_DIVISION, MSG_DIVISION_EN, part=division))
    first17 = prefix + division + org_body + organisation_code_check_char(org_body)
    return first17 + credit_code_check_char(first17)
