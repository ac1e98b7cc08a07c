"""Clinical facts about a person: conditions, encounters, observations, and the risk scores derived from them."""
