"""Benchmarks: Botbus figures printed next to this machine's ceilings, measured in the same run."""
