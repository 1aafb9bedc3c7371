"""Monte Carlo runner: engines, chunks, streaming storage and resumable runs."""
