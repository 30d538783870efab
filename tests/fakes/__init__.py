"""Local fakes of the services the cleaner talks to, for tests (no network beyond 127.0.0.1)."""
