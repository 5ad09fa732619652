"""Hand-crafted window features, vectorised over batches of windows."""
