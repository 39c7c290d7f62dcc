"""Operator tools: doctor, sync, reproduce, environment diffs.  Used by the CLI; never
imported by the training path (``labledger.sdk``)."""
