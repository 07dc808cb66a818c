"""The replay tool: audit the log, rebuild and verify projections (`botbus replay`)."""
