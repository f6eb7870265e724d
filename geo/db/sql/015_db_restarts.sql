-- The embedded PostgreSQL is supervised (console/server/watchdog.py) and each restart is
-- audited. Every page's banner says when it last happened, so the live channel (which reads
-- under the desk's own jurisdiction, not as an admin) needs the newest restart: this function
-- gives only that, not the audit trail.
CREATE FUNCTION database_restarted(within_s integer)
RETURNS TABLE (at timestamptz, down_s real)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT a.at, (a.after->>'down_s')::real FROM audit_log a
    WHERE a.entity = 'database' AND a.action = 'restarted'
      AND a.at > now() - make_interval(secs => within_s)
    ORDER BY a.at DESC LIMIT 1
$$;
REVOKE ALL ON FUNCTION database_restarted(integer) FROM PUBLIC;
