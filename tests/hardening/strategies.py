"""Hostile values for form fields, query parameters and URL keywords.

Every value is a str (what a browser or a script can send). Surrogates cannot be encoded, so the
unicode here is valid unicode: right-to-left marks, combining characters, zero-width joiners,
astral planes, full-width and Arabic-Indic digits.
"""

from hypothesis import strategies as st

XSS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')

NASTY = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x00" * 3,
    "\u202egnp.exe",  # right-to-left override
    "\u200f\u200e",  # right-to-left and left-to-right marks
    "\u200b\u200d\ufeff",  # zero-width space, joiner, byte-order mark
    "e" + "\u0301" * 200,  # a pile of combining accents
    "Z\u0335\u0321\u031b\u0316a\u0337l\u0338g\u0335o\u0336",
    "\U0001f600\U0001d54f",
    "\r\n",
    "line\nbreak",
    "\t",
    "\x7f\x1b[31m",
    *XSS,
    "' OR 1=1 --",
    "%00",
    "%s%n",
    "{{ 7|add:7 }}{% debug %}",
    "../../etc/passwd",
    "http://evil.example/",
    "//evil.example/path",
    "javascript:alert(1)",
    "\\\\evil.example",
    # Valid addresses longer than a 254-character email column (forms allow 320).
    "a" * 64 + "@" + ("b" * 63 + ".") * 3 + "example",
    "x@" + ("d" * 62 + ".") * 4 + "example",
)

NUMBERS = (
    "0",
    "-0",
    "-1",
    "1",
    "2147483648",
    "9223372036854775807",
    "9223372036854775808",  # 2^63
    "-9223372036854775809",
    "99999999999999999999",
    "1" + "0" * 400,
    "1e400",
    "-1e400",
    "1e-400",
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "0x10",
    "1_000",
    "\uff11\uff12",  # full-width digits
    "\u0661\u0662",  # Arabic-Indic digits
    "12345678901234567.89",
    "0.000000001",
    "1,5",
    " 7 ",
    "+5",
    "5.",
    ".5",
)

DATES = (
    "0000-00-00",
    "99999-01-01",
    "10000-01-01",
    "9999-12-31",
    "0001-01-01",
    "-0001-01-01",
    "2024-02-30",
    "2023-02-29",
    "2024-13-01",
    "2024-00-10",
    "2024-1-1",
    "1/2/2024",
    "2024-01-01T00:00:00",
    "today",
)

long_strings = st.builds(
    lambda piece, n: piece * n,
    st.sampled_from(["a", "é", "\U0001d54f", "\u202e", "<", "\x00", "9"]),
    st.integers(min_value=10_000, max_value=10_240),
)

valid_unicode = st.text(st.characters(codec="utf-8"), max_size=40)

huge_integers = st.one_of(
    st.integers(min_value=2**63, max_value=2**80),
    st.integers(min_value=-(2**80), max_value=-1),
).map(str)

integers = st.integers(min_value=-(2**70), max_value=2**70).map(str)

decimals = st.decimals(allow_nan=True, allow_infinity=True, places=None).map(str)

dates = st.one_of(
    st.sampled_from(DATES),
    st.dates().map(lambda d: d.isoformat()),
    st.text("0123456789-", max_size=12),
)


# Any junk a field could receive.
HOSTILE = st.one_of(
    st.sampled_from(NASTY),
    st.sampled_from(NUMBERS),
    st.sampled_from(DATES),
    long_strings,
    valid_unicode,
    huge_integers,
    integers,
    decimals,
    dates,
)

# Names of fields no form expects.
FIELD_NAMES = st.one_of(
    st.sampled_from(["id", "pk", "organization", "organization_id", "is_staff", "role", "x"]),
    st.text(st.characters(codec="utf-8", exclude_characters='"\r\n'), min_size=1, max_size=12),
)


def path_values(existing: list[str]) -> st.SearchStrategy[str]:
    """Values for a URL keyword: real ones, numbers past 2^63, and junk."""
    return st.one_of(
        st.sampled_from(existing) if existing else st.nothing(),
        huge_integers,
        st.integers(min_value=0, max_value=10**6).map(str),
        st.sampled_from(NUMBERS),
        st.sampled_from(NASTY),
        long_strings,
        valid_unicode,
    )
