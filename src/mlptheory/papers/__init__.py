"""One package per paper: a torch-free ``plan`` module (the config -> training runs and a
:class:`~mlptheory.registry.Registry` of tables and figures) and one module per experiment with
its table computation and drawing code."""

# The papers this workflow reproduces, in the order every table and report lists them; the one
# list of paper names (everything else imports it).
PAPERS = ("tsuchida2019", "seleznova2021", "sorensen2020", "lee2019")
