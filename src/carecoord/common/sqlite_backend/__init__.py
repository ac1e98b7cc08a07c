"""Django's SQLite backend, with writers queued on an operating-system lock instead of SQLite's busy wait."""
