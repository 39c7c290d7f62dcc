"""Vocabulary shared by every layer: ids, errors, entities, limits, the query grammar.

Nothing in here imports another LabLedger package.
"""
