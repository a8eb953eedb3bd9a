"""Reports of finished runs: summaries with paired tests, plots, run comparison and ablation tables."""
