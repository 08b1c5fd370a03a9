-- Evidence an anchor attaches to an appeal (申诉材料): files (a certificate, a test report, an
-- invoice) kept in the service's files folder, and links kept as text (never fetched). Written in
-- the same transaction as the appeal, so an appeal never lacks the evidence it was filed with.
CREATE TABLE appeal_evidence (
    id INTEGER PRIMARY KEY,
    appeal_id INTEGER NOT NULL REFERENCES appeals(id),
    position INTEGER NOT NULL,                -- order given by the anchor, files first, then links
    kind TEXT NOT NULL CHECK (kind IN ('file', 'link')),
    url TEXT,                                 -- a link: http or https, as given
    file_path TEXT,                           -- a file: relative to the files folder
    file_name TEXT,                           -- the anchor's file name, sanitised
    content_type TEXT,                        -- from the file's first bytes, not its name
    size_bytes INTEGER,
    sha256 TEXT,
    CHECK ((kind = 'link') = (url IS NOT NULL)),
    CHECK ((kind = 'file') = (file_path IS NOT NULL AND file_name IS NOT NULL
                              AND content_type IS NOT NULL AND size_bytes IS NOT NULL
                              AND sha256 IS NOT NULL)),
    UNIQUE (appeal_id, position)
);
