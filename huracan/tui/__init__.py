"""The live terminal dashboard (Textual): overview, trades with drill-down, the model
export tracker, gates and the live feed. ``app.Dashboard`` is the application;
``source`` decides where it reads, ``data`` what, ``render``/``columns`` how it looks."""
