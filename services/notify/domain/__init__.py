"""notify's domain: the citizen message and its delivery rules, free of any framework."""
