"""Metadata storage: SQLAlchemy tables, one repository module per aggregate, migrations.

All SQL of LabLedger lives in this package.
"""
