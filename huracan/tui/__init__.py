"""The live terminal dashboard (Textual): overview, shadow trades, models, gates, feed."""
