"""On PostgreSQL, refuse raw SQL that would change the binding (R10.1).

The ORM already refuses (Ambassador.save, AmbassadorQuerySet); this trigger
holds for every other client of the database. Ciphertext may be rewritten
with the same value only during key rotation, which sets
`portal.key_rotation = 'on'` for its transaction; the keyed hashes, which
fix the values themselves, can never change.
"""

from django.db import migrations

from portal.kernel.db import postgresql_only

CREATE = r"""
CREATE OR REPLACE FUNCTION ambassadors_binding_guard() RETURNS trigger AS $$
DECLARE
    rotating boolean := coalesce(current_setting('portal.key_rotation', true), '') = 'on';
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.verified_at IS NOT NULL THEN
            RAISE EXCEPTION 'ambassador %: a verified ambassador cannot be deleted (R10.1)', OLD.id
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.verified_at IS NOT NULL AND (
           NEW.user_id IS DISTINCT FROM OLD.user_id
        OR NEW.verified_at IS DISTINCT FROM OLD.verified_at
        OR NEW.id_number_hash IS DISTINCT FROM OLD.id_number_hash
        OR (NOT rotating AND (NEW.legal_name IS DISTINCT FROM OLD.legal_name
                              OR NEW.id_number IS DISTINCT FROM OLD.id_number))) THEN
        RAISE EXCEPTION 'ambassador %: the verified identity cannot change (R10.1)', OLD.id
            USING ERRCODE = 'check_violation';
    END IF;
    IF OLD.alipay_bound_at IS NOT NULL AND (
           NEW.alipay_bound_at IS DISTINCT FROM OLD.alipay_bound_at
        OR NEW.alipay_account_hash IS DISTINCT FROM OLD.alipay_account_hash
        OR (NOT rotating AND NEW.alipay_account IS DISTINCT FROM OLD.alipay_account)) THEN
        RAISE EXCEPTION 'ambassador %: the bound Alipay account cannot change (R10.1)', OLD.id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER ambassadors_binding_guard
    BEFORE UPDATE OR DELETE ON ambassadors_ambassador
    FOR EACH ROW EXECUTE FUNCTION ambassadors_binding_guard();
"""

DROP = """
DROP TRIGGER IF EXISTS ambassadors_binding_guard ON ambassadors_ambassador;
DROP FUNCTION IF EXISTS ambassadors_binding_guard();
"""



class Migration(migrations.Migration):
    dependencies = [("ambassadors", "0001_initial")]

    operations = [migrations.RunPython(postgresql_only(CREATE), postgresql_only(DROP))]
