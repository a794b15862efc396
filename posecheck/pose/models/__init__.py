"""Model plumbing."""
