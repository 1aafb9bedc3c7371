"""Daily series of one replication and their quantile bands, folded chunk by chunk."""
