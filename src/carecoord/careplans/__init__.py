"""Care plans: the person-centred plan of care with problems, goals, interventions, versions and sign-off."""
