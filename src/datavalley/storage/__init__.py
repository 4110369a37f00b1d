"""Delta tables on sites (data centres)."""
