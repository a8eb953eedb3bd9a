"""Train on all known pairs, save a model folder, and predict for new molecules."""
