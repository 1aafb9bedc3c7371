"""Console tables, figures, the HTML report and the explorer."""
