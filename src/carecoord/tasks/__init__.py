"""Tasks: who does what for a person by when, owned by a user or a team queue, with FHIR Task statuses."""
