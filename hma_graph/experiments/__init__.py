"""The experiment layer: one run from a resolved config, a config registry, a record store that
cannot mix or lose records, sweeps (serial or on Ray), and tables built from records.

    from hma_graph.experiments import registry, run, store, sweep, report
"""
