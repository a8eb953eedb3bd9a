"""Contrastive encoder stage: CoSENT + in-batch negatives + AnglE on pairs from training labels only."""
