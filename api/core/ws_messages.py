"""The text messages of the live-audio WebSocket (`{"token": KEY}`, `{"flush": true}`), read
within bounds: a message too long, or nested deeper than such a message can be, is refused with
its WebSocket close code before the JSON parser sees it (which raised RecursionError at 100,000
levels and closed the socket without a code).
"""

from __future__ import annotations

import json

from monitor.errors import InputError

MAX_TEXT_CHARS = 4096  # a key or a flush request is under 100
MAX_DEPTH = 4  # the messages are flat objects
TOO_BIG = 1009  # RFC 6455: message too big to process
INVALID_PAYLOAD = 1007  # RFC 6455: data inconsistent with the message type


class MessageRefused(Exception):
    """A text message the socket is closed for, with the close code and reason to send."""

    def __init__(self, code: int, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason


def read_text_message(text: str) -> dict:
    """The JSON object of a text message. MessageRefused when it is too long or too deeply
    nested; InputError (answered, the socket stays open) when it is not a JSON object."""
    if len(text) > MAX_TEXT_CHARS:
        raise MessageRefused(
            TOO_BIG,
            f"文本消息超过 {MAX_TEXT_CHARS} 个字符 / text message over {MAX_TEXT_CHARS} characters",
        )
    if _depth(text) > MAX_DEPTH:
        raise MessageRefused(
            INVALID_PAYLOAD,
            f"JSON 嵌套超过 {MAX_DEPTH} 层 / JSON nested deeper than {MAX_DEPTH} levels",
        )
    try:
        value = json.loads(text)
    except ValueError:
        raise InputError("消息不是 JSON / the message is not JSON") from None
    if not isinstance(value, dict):
        raise InputError("消息应为 JSON 对象 / the message must be a JSON object")
    return value


def _depth(text: str) -> int:
    """How deeply the arrays and objects of `text` nest (brackets inside strings not counted)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest
