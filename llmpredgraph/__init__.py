"""llmpredgraph: predict drug side-effect frequencies with language-model features and a graph."""

__version__ = "0.1.0"
