"""Clocks on things that are not orders: a care visit due, a hazard's rectification
deadline. A kind is one ``DeadlineKind`` declaration (``kinds.py``); the rows, the sweep,
the warnings and escalations come with it (docs/ARCHITECTURE.md, "Adding a deadline")."""
