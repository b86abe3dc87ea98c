"""One package per paper: a torch-free ``plan`` module (the config -> training runs and a
:class:`~mlptheory.registry.Registry` of tables and figures) and one module per experiment with
its table computation and drawing code."""
