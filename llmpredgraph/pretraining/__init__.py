"""Continued pretraining of the SMILES encoder: masked-token modelling (MLM) or multi-task
regression on RDKit descriptors (MTR), full or LoRA, resumable; the output is a model folder."""
