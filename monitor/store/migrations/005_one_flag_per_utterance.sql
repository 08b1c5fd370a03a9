-- One utterance is one flag (issue 12): every hit of the sentence is in `hits`, and the flag's own
-- columns (category, severity, rule, span …) are those of its lead hit, the most severe. Confirming
-- the flag records one violation, so a sentence is never punished twice.
ALTER TABLE flags ADD COLUMN hits TEXT NOT NULL DEFAULT '[]';
UPDATE flags SET hits = json_array(json(hit));

-- Open flags of the same sentence (same anchor, stream, caption line and context) stored before this version
-- become one: the lead keeps every hit; the others go (nothing refers to an undecided flag).
-- Decided flags are left as they were decided.
CREATE TEMP TABLE utterance_lead AS
SELECT f.id AS id,
       (SELECT g.id FROM flags g
         WHERE g.status = 'open' AND g.context = f.context
           AND g.anchor_id IS f.anchor_id AND g.stream_id IS f.stream_id
           AND g.segment_id IS f.segment_id  -- a line repeated later is another utterance
         ORDER BY CASE g.severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END,
                  g.score DESC, g.id
         LIMIT 1) AS lead
  FROM flags f
 WHERE f.status = 'open';

UPDATE flags
   SET hits = (SELECT json_group_array(json(h.hit))
                 FROM (SELECT g.hit FROM flags g JOIN utterance_lead u ON u.id = g.id
                        WHERE u.lead = flags.id ORDER BY g.start, g.id) AS h)
 WHERE id IN (SELECT lead FROM utterance_lead);

DELETE FROM flags WHERE id IN (SELECT id FROM utterance_lead WHERE id != lead);
DROP TABLE utterance_lead;
