"""Command work (embed, finetune, experiment, ablate, train, predict): what the CLI calls.
Library packages below never import this layer."""
