"""One module per paper: the computations behind its targets (scripts stay thin)."""
