"""Rules and transaction boundaries.  No HTTP, no SQL text: services call ``store``."""
