"""Exceptions raised by the core library; the CLI and the API turn them into messages and exit codes."""


class QinglangError(Exception):
    """Base class of every error the library raises on purpose."""


class LexiconError(QinglangError):
    """A lexicon file is unreadable or breaks the schema; `problems` lists each one."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems) if problems else "invalid lexicon")


class InputError(QinglangError):
    """Input text or a file cannot be checked (binary, bad encoding, empty, too large)."""


class InputTooLarge(InputError):
    """An input over a documented limit, e.g. a .docx that expands past its limit (the API answers
    413); `detail` names the limit and its value."""

    def __init__(self, message: str, detail: dict | None = None):
        super().__init__(message)
        self.detail = detail


class InvalidDocument(InputError):
    """A file that is not what its type says, e.g. a damaged .docx (the API answers 422)."""


class StateConflict(InputError):
    """The record is no longer in the state the request needs: a flag or application already
    decided, an appeal or application already pending, an id already taken (the API answers 409
    with `code`, "conflict" unless the refusal names its own)."""

    def __init__(self, message: str, code: str = "conflict", detail: dict | None = None):
        super().__init__(message)
        self.code = code
        self.detail = detail


class MissingRecord(InputError):
    """A record the request refers to does not exist, e.g. the workshop a new anchor names (the
    API answers 404)."""


class NotPermitted(QinglangError):
    """The caller may not do this to this record, e.g. undo another reviewer's decision (the API
    answers 403)."""


class UnknownProfileError(QinglangError):
    """A lexicon profile name that no loaded profile file defines; `known` lists those that are."""

    def __init__(self, message: str, name: str = "", known: tuple[str, ...] = ()):
        super().__init__(message)
        self.name = name
        self.known = known
