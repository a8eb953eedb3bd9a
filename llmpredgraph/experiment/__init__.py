"""Cold-start experiments: folds, training, baselines, metrics and reports."""
