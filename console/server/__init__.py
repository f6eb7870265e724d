"""Server plumbing: the sign-in middleware, security headers, the live hub, background jobs,
error answers, and the process-wide state (settings, database pool, caches)."""
