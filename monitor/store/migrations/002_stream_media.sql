-- A stream's recording (an uploaded audio/video file) kept for review: the review UI plays it
-- from the flagged second. NULL when the stream came from text or a live source not recorded.
ALTER TABLE streams ADD COLUMN media_path TEXT;
