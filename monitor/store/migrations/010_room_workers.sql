-- Live rooms held by speech workers on other machines (issue 15): which worker holds a room and
-- when it was last heard from, and where a worker that takes the room over resumes (the last HLS
-- media sequence, the stream's time origin, the stream time and the pushed-input entry covered by
-- results in the store). A result a worker posts is keyed by the start of its first segment, so
-- that a replayed post adds no second event.
ALTER TABLE live_rooms ADD COLUMN worker TEXT;          -- consumer holding it (NULL: none yet)
ALTER TABLE live_rooms ADD COLUMN worker_seen_at TEXT;  -- last time its worker fetched or posted
ALTER TABLE live_rooms ADD COLUMN resume_sequence INTEGER;
ALTER TABLE live_rooms ADD COLUMN resume_origin REAL;
ALTER TABLE live_rooms ADD COLUMN resume_s REAL;
ALTER TABLE live_rooms ADD COLUMN input_entry TEXT;
ALTER TABLE live_events ADD COLUMN result_key TEXT;
CREATE UNIQUE INDEX live_events_result ON live_events(room_id, result_key) WHERE result_key IS NOT NULL;
