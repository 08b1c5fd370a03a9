-- How sure speech recognition was of each segment (issue 12): `confidence` is the geometric mean
-- of its words' probabilities (NULL for captions and for segments stored before this version);
-- `issues` lists what makes its text doubtful (low_confidence, repetition, not_chinese,
-- digit_string; see monitor/speech/transcript_reliability.py) as JSON, so the transcript page marks it.
ALTER TABLE segments ADD COLUMN confidence REAL;
ALTER TABLE segments ADD COLUMN issues TEXT NOT NULL DEFAULT '[]';
