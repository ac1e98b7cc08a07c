# Written by hand (Django cannot generate functions): PostgreSQL only, a no-op elsewhere.
#
# carecoord_audit_append appends one record to the hash chain in a single statement: it takes the chain's advisory
# lock, reads the last record (each statement of a VOLATILE PL/pgSQL function takes a fresh snapshot under READ
# COMMITTED, so it sees the record a competing append committed while this one waited for the lock), computes
# the hash exactly as audit.actions.hash_of does, and inserts. The caller serialises the hashed content in two
# pieces around the record's id (p_head, p_tail), so the hash is byte for byte the one Python computes.

from django.db import migrations

CREATE = r"""
CREATE OR REPLACE FUNCTION carecoord_audit_append(
    p_lock bigint,
    p_head bytea,
    p_tail bytea,
    p_recorded_at timestamptz,
    p_user_id uuid,
    p_username varchar,
    p_organization_id uuid,
    p_role varchar,
    p_patient_id uuid,
    p_object_type varchar,
    p_object_id varchar,
    p_action varchar,
    p_outcome varchar,
    p_purpose varchar,
    p_channel varchar,
    p_client_address varchar,
    p_request_id varchar,
    p_detail jsonb
) RETURNS TABLE (appended_id bigint, appended_hash varchar)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    last_id bigint;
    last_hash varchar;
    new_hash varchar;
BEGIN
    PERFORM pg_advisory_xact_lock(p_lock);
    SELECT a.id, a.hash INTO last_id, last_hash FROM audit_auditrecord a ORDER BY a.id DESC LIMIT 1;
    IF last_id IS NULL THEN
        last_id := 0;
        last_hash := repeat('0', 64);
    END IF;
    new_hash := encode(
        sha256(convert_to(last_hash || '|', 'UTF8') || p_head || convert_to((last_id + 1)::text, 'UTF8') || p_tail),
        'hex'
    );
    INSERT INTO audit_auditrecord (
        id, recorded_at, user_id, username, organization_id, role, patient_id, object_type, object_id, action,
        outcome, purpose, channel, client_address, request_id, detail, previous_hash, hash
    ) VALUES (
        last_id + 1, p_recorded_at, p_user_id, p_username, p_organization_id, p_role, p_patient_id, p_object_type,
        p_object_id, p_action, p_outcome, p_purpose, p_channel, p_client_address, p_request_id, p_detail, last_hash,
        new_hash
    );
    RETURN QUERY SELECT last_id + 1, new_hash;
END
$$;
"""

DROP = """
DROP FUNCTION IF EXISTS carecoord_audit_append(
    bigint, bytea, bytea, timestamptz, uuid, varchar, uuid, varchar, uuid, varchar, varchar, varchar, varchar,
    varchar, varchar, varchar, varchar, jsonb
);
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
