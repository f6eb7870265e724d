-- Open311 fields that had nowhere to go: the reporter's address text, e-mail (private, like
-- the phone) and a photo URL sent with the report.
ALTER TABLE incidents
    ADD COLUMN address        text CHECK (length(address) <= 400),
    ADD COLUMN reporter_email text CHECK (length(reporter_email) <= 200),
    ADD COLUMN media_url      text CHECK (length(media_url) <= 1000);
