"""Gather files into versioned tables: sources, encodings, readers per format, type inference, loads."""
