"""Customer identity resolution: normalise, block, score, cluster and build golden records."""
