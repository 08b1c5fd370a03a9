"""The identifiers people type and pages put in their paths: registry ids (workshops, anchors,
products, platform accounts) and stream ids.

An id must look like what it is: no control characters, no bidirectional overrides and no
invisible (default-ignorable) characters, which would make two different ids look the same
(`A1` and `A1` followed by U+200B), and one Unicode form: ids are stored in NFC. Registry ids are path segments
of the API and the UI: no spaces and none of / ? # %. Stream ids, often made by a platform's
software, have one plain pattern (STREAM_ID_PATTERN) so that every stream has a page.
Only checks live here; the library, the API and the CLI call them at every entry.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata
from functools import cache

from monitor.errors import InputError

MAX_ID_LENGTH = 64
MAX_STREAM_ID_LENGTH = 100  # room for the live rooms' default, `<anchor id>:live-<room>`
STREAM_ID_PATTERN = rf"^[A-Za-z0-9_.:-]{{1,{MAX_STREAM_ID_LENGTH}}}$"
_STREAM_ID = re.compile(STREAM_ID_PATTERN)
_NOT_IN_STREAM_ID = re.compile(r"[^A-Za-z0-9_.:-]+")
_PATH_CHARACTERS = "/?#%"
# Unicode's Default_Ignorable_Code_Point outside the format (Cf) category, which is refused whole.
_IGNORABLE_RANGES = (
    (0x034F, 0x034F), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFFA0, 0xFFA0), (0x1BCA0, 0x1BCA3), (0xE0000, 0xE0FFF),
)  # fmt: skip


_IGNORABLE = frozenset(code for low, high in _IGNORABLE_RANGES for code in range(low, high + 1))


def _refused(code: int) -> bool:
    return code in _IGNORABLE or unicodedata.category(chr(code)) in ("Cc", "Cf")


def _refused_ranges() -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    for code in itertools.chain(range(0x20000), range(0xE0000, 0xE1000)):  # no Cc or Cf elsewhere
        if _refused(code):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return ranges


@cache
def refused_characters() -> str:
    """The characters `invisible_character` finds, as the inside of a regular expression's
    character class (for the API's schema)."""
    return "".join(_class_range(low, high) for low, high in _refused_ranges())


def id_pattern() -> str:
    """A registry id as a regular expression (for the API's schema; the checks are the
    functions below): no space, / ? # %, control, format or default-ignorable character."""
    return f"^[^\\s/?#%{refused_characters()}]+$"


def _class_range(low: int, high: int) -> str:
    return _escape(low) + (f"-{_escape(high)}" if high > low else "")


def _escape(code: int) -> str:
    return f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}"


def invisible_character(text: str) -> str | None:
    """The first control, format (bidi, zero-width, BOM…) or other default-ignorable character
    of `text`, or None."""
    return next((char for char in text if _refused(ord(char))), None)


def invisible_problem(text: str) -> str | None:
    """What is wrong when `text` has an invisible or control character (naming its code point),
    or None."""
    if (char := invisible_character(text)) is None:
        return None
    code, name = f"U+{ord(char):04X}", unicodedata.name(char, "")
    return f"含不可见或控制字符 {code} / contains the invisible or control character {code}" + (
        f" ({name})" if name else ""
    )


def id_problem(value: str) -> str | None:
    """What is wrong with a registry id (Chinese / English, naming the character), or None."""
    if (problem := invisible_problem(value)) is not None:
        return problem
    if (
        not value
        or len(value) > MAX_ID_LENGTH
        or any(c.isspace() or c in _PATH_CHARACTERS for c in value)
    ):
        return (
            f"编号须为 1–{MAX_ID_LENGTH} 个字符，不含空白和 / ? # % / an id is 1–{MAX_ID_LENGTH} "
            "characters without spaces, '/', '?', '#' or '%'"
        )
    return None


def stream_id_problem(value: str) -> str | None:
    """What is wrong with a stream id, or None."""
    if (problem := invisible_problem(value)) is not None:
        return problem
    if not _STREAM_ID.match(value):
        return (
            f"直播编号须为 1–{MAX_STREAM_ID_LENGTH} 个字母、数字或 - _ . : / a stream id is "
            f"1–{MAX_STREAM_ID_LENGTH} ASCII letters, digits, '-', '_', '.' or ':'"
        )
    return None


def registry_id(value: str, what: str) -> str:
    """`value` stripped and in NFC form, when it is a valid id; else InputError naming `what` and
    the problem."""
    value = unicodedata.normalize("NFC", (value or "").strip())
    if (problem := id_problem(value)) is not None:
        raise InputError(f"{what} id {value!r}: {problem}")
    return value


def stream_id(value: str) -> str:
    """`value` when it is a valid stream id; else InputError naming the problem."""
    if (problem := stream_id_problem(value)) is not None:
        raise InputError(f"stream {value!r}: {problem}")
    return value


def stream_id_from(text: str) -> str:
    """A valid stream id made from `text` (an anchor id and a file name, say): other characters
    become '-', and a short hash of `text` keeps two such names apart."""
    slug = _NOT_IN_STREAM_ID.sub("-", text).strip("-")
    if slug == text and len(slug) <= MAX_STREAM_ID_LENGTH:
        return slug
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{slug[: MAX_STREAM_ID_LENGTH - 9]}-{digest}".lstrip("-")
