"""Guided training: routines, planned sets, the live coach session and progress."""
