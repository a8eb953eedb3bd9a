"""Heterogeneous drug / side-effect graph, message passing and the edge decoder."""
