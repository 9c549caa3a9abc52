"""Data sources, the long observation table and the point-in-time panel."""
