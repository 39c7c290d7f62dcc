"""The ``labledger`` command: thin commands over the SDK and services."""
