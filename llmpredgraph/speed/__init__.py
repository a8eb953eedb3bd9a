"""Timed steps (wall time, peak RSS), each run in its own process by scripts/speed_main.py."""
