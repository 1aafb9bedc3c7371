"""What the numbers say: runs, summaries, paired comparisons, completion, sweeps, discovery and the
decision tables."""
