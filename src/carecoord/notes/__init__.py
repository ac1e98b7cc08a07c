"""Progress notes: templated notes that lock when signed, signed addenda, and the supervisor's co-sign queue."""
