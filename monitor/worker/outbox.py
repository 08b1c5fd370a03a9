"""A room's results on their way to the API node, kept in order until acknowledged.

Each addition is one posting: results, events, and the room's position and audio time as they
stood right after those results (the position never runs ahead of the results sent with it, so a
worker that dies after a post leaves a resume point that loses nothing). While the API node is
down, additions queue up; when it answers again, the oldest are sent first, several merged into
one request (up to PER_POST results and EVENTS_PER_POST events, with the position of the last
merged). Every result is
idempotent on the API node (keyed by its first segment's start), so re-sending a post whose answer
was lost changes nothing.

Bounded: at most MAX_RESULTS results wait (about an hour of continuous speech). When that many
wait, the room's runner stops taking audio and keeps retrying (`full`): its stream reader's queue
then fills (about 2 minutes of audio) and an HLS source stops being read, which a long outage
turns into a `gap` when it is read again.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

MAX_RESULTS = 1000
PER_POST = 100  # results in one request (the API node takes up to 200)
EVENTS_PER_POST = 100  # events in one request (the API node's limit)


@dataclass
class _Post:
    results: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    position: dict = field(default_factory=dict)
    audio_s: float = 0.0


class Outbox:
    def __init__(self, max_results: int = MAX_RESULTS, per_post: int = PER_POST):
        self.max_results, self.per_post = max_results, per_post
        self._posts: list[_Post] = []
        self._lock = threading.Lock()

    def add(
        self,
        results: list[dict],
        events: list[dict],
        position: dict,
        audio_s: float,
    ) -> None:
        with self._lock:
            self._posts.append(_Post(list(results), list(events), dict(position), audio_s))

    @property
    def waiting(self) -> int:
        """Postings not yet acknowledged."""
        with self._lock:
            return len(self._posts)

    @property
    def full(self) -> bool:
        with self._lock:
            return sum(len(p.results) for p in self._posts) >= self.max_results

    def next_body(self) -> tuple[dict, int] | None:
        """The request body for the oldest postings merged, and how many it holds; None: empty."""
        with self._lock:
            if not self._posts:
                return None
            merged, count = _Post(), 0
            for post in self._posts:
                if count and (
                    len(merged.results) + len(post.results) > self.per_post
                    or len(merged.events) + len(post.events) > EVENTS_PER_POST
                ):
                    break
                merged.results += post.results
                merged.events += post.events
                merged.position, merged.audio_s = post.position, post.audio_s
                count += 1
        body = {
            "results": merged.results,
            "position": merged.position,
            "audio_s": round(merged.audio_s, 3),
            "events": merged.events,
        }
        return body, count

    def acknowledged(self, count: int) -> None:
        """The oldest `count` postings reached the API node."""
        with self._lock:
            del self._posts[:count]
