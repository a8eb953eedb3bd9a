"""`python -m llmpredgraph`: the CLI without its console script (e.g. a package on PYTHONPATH)."""

from .cli import main

main(prog_name="llmpredgraph")
