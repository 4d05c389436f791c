"""Use cases of the hub. Each service function owns its transaction; none builds an engine."""
