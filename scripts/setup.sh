#!/usr/bin/env bash
# Create .venv and install llmpredgraph with everything it needs (offline-capable, CPU torch).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip
# torch pinned first: the CPU wheel (an unpinned torch pulls a multi-GB CUDA build).
python -m pip install -q torch==2.13.0
python -m pip install -q -e ".[test]"
# The offline SMILES BERT ships inside rxnfp; its pins are ancient, so no deps (only its files are read).
python -m pip install -q --no-deps rxnfp==0.1.0
echo "llmpredgraph installed in .venv"
