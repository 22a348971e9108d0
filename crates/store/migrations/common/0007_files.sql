-- Files a company stored (MMS attachments, later fax documents and voicemail audio). The
-- bytes are kept in the file store (a folder or an S3 bucket) once per content, under their
-- SHA-256; a row is one upload, and several rows may name the same bytes.
CREATE TABLE files (
    id            TEXT PRIMARY KEY,
    company_id    TEXT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    size          BIGINT NOT NULL,
    content_type  TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
