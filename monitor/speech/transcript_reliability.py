"""How far a speech transcript can be trusted. Each recognised segment gets issue codes: the
model was unsure of its words (low_confidence), the text repeats itself (repetition),
Chinese was expected but the text is not Chinese (not_chinese), or the text is strings of digits,
what Whisper makes of speech it cannot follow (digit_string). A recording gets a warning per issue
that concerns enough of its speech, one when voice activity detection heard speech the model
turned into no text (or little), and one when its detected language was a guess.

Thresholds and messages are data (`reliability:` in models/asr.yaml). Pure: no audio, no model.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from monitor.report import ReportWarning
from monitor.sources.segments import Segment

ISSUES = ("low_confidence", "repetition", "not_chinese", "digit_string")
ISSUE_LABELS = {  # how a marked segment is labelled (Chinese, English)
    "low_confidence": ("低置信度", "low confidence"),
    "repetition": ("重复", "repetition"),
    "not_chinese": ("非中文", "not Chinese"),
    "digit_string": ("数字串", "digit string"),
}
WARNING_PREFIX = "asr_"  # a warning's code is the issue's with this prefix
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_OTHER_WORD = re.compile(r"[^\W\d_]+")  # a run of letters once the Han characters are taken out
_GROUP_SEPARATOR = r"[-–—,，、\s]+"

Message = Annotated[str, Field(pattern=r"\S / \S")]  # Chinese first, English after " / "


class ReliabilityMessages(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    low_confidence: Message
    repetition: Message
    not_chinese: Message
    digit_string: Message
    unrecognised_speech: Message
    language_uncertain: Message


class ReliabilityPolicy(BaseModel):
    """The `reliability:` section of models/asr.yaml (its comments say why each value)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    min_confidence: float = Field(gt=0, lt=1)
    min_window_logprob: float = Field(lt=0)
    max_compression_ratio: float = Field(gt=1)
    repeated_unit_times: int = Field(ge=2)
    min_han_share: float = Field(gt=0, le=1)
    digit_string_groups: int = Field(ge=2)
    min_warning_share: float = Field(gt=0, le=1)
    min_speech_s: float = Field(gt=0)
    min_recognised_share: float = Field(gt=0, le=1)
    min_language_probability: float = Field(gt=0, lt=1)
    messages: ReliabilityMessages


def word_confidence(probabilities: Iterable[float]) -> float | None:
    """The geometric mean of word probabilities: exp of their mean log-probability."""
    logs = [math.log(max(p, 1e-6)) for p in probabilities]
    return math.exp(sum(logs) / len(logs)) if logs else None


def han_share(text: str) -> float | None:
    """Han characters among Han characters and words in other letters (a Latin word counts once,
    like a syllable); None when the text has neither (digits, punctuation)."""
    han = len(_HAN.findall(text))
    others = len(_OTHER_WORD.findall(_HAN.sub(" ", text)))
    return han / (han + others) if han + others else None


def is_digit_string(text: str, groups: int) -> bool:
    """Short digit groups strung together ("3-3-3-4-4-2", "1,2,3,4,5", "1 2 1 3"), not prices,
    phone numbers or "1,000"."""
    pattern = rf"(?<!\d)(?:\d{{1,2}}{_GROUP_SEPARATOR}){{{groups - 1},}}\d{{1,2}}(?!\d)"
    return re.search(pattern, text) is not None


def repeats_itself(text: str, times: int) -> bool:
    """A piece of 2–6 characters, not all the same ("鸟4 ", "互相"; 哈哈哈 is laughter), said
    `times` times or more in a row."""
    for match in re.finditer(rf"(\S.{{1,5}}?)\1{{{times - 1},}}", text):
        if len(set(match.group(1).replace(" ", ""))) >= 2:
            return True
    return False


def segment_issues(
    text: str,
    *,
    confidence: float | None,
    window_logprob: float | None,
    compression_ratio: float | None,
    language: str | None,
    policy: ReliabilityPolicy,
) -> tuple[str, ...]:
    """The issue codes of one recognised segment (ISSUES order). `window_logprob` and
    `compression_ratio` are Whisper's, of the 30-s window the segment was decoded in."""
    issues = []
    if (confidence is not None and confidence < policy.min_confidence) or (
        window_logprob is not None and window_logprob < policy.min_window_logprob
    ):
        issues.append("low_confidence")
    if (
        compression_ratio is not None and compression_ratio > policy.max_compression_ratio
    ) or repeats_itself(text, policy.repeated_unit_times):
        issues.append("repetition")
    share = han_share(text)
    if language == "zh" and share is not None and share < policy.min_han_share:
        issues.append("not_chinese")
    if is_digit_string(text, policy.digit_string_groups):
        issues.append("digit_string")
    return tuple(issues)


def transcript_warnings(
    segments: Sequence[Segment],
    policy: ReliabilityPolicy,
    *,
    speech_s: float | None = None,
    language_probability: float | None = None,
) -> tuple[ReportWarning, ...]:
    """A warning per issue whose segments hold at least `min_warning_share` of the speech time;
    one when of `speech_s` seconds of speech (found by VAD, at least `min_speech_s`) segments
    cover less than `min_recognised_share`; one when the language was detected with less than
    `min_language_probability`."""
    warnings = []
    recognised = sum(max(0.0, s.end - s.start) for s in segments)
    if speech_s is not None and speech_s >= policy.min_speech_s:
        share = min(1.0, recognised / speech_s)
        if share < policy.min_recognised_share:
            warnings.append(_warning("unrecognised_speech", policy, (), 1.0 - share))
    if not segments:
        return tuple(warnings)
    for issue in ISSUES:
        concerned = [s for s in segments if issue in s.issues]
        share = _share(concerned, segments)
        if concerned and share >= policy.min_warning_share:
            warnings.append(_warning(issue, policy, concerned, share))
    if language_probability is not None and language_probability < policy.min_language_probability:
        warnings.append(_warning("language_uncertain", policy, segments, 1.0))
    return tuple(warnings)


def _share(concerned: Sequence[Segment], segments: Sequence[Segment]) -> float:
    """Their share of the speech time (of the count, when the segments have no length)."""
    total = sum(max(0.0, s.end - s.start) for s in segments)
    if total <= 0:
        return len(concerned) / len(segments)
    return sum(max(0.0, s.end - s.start) for s in concerned) / total


def _warning(
    issue: str, policy: ReliabilityPolicy, concerned: Sequence[Segment], share: float
) -> ReportWarning:
    return ReportWarning(
        code=WARNING_PREFIX + issue,
        message=getattr(policy.messages, issue),
        segments=len(concerned),
        share=share,
    )
