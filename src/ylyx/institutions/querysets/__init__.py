"""Reads of the institutions registry; see :mod:`ylyx.institutions.querysets.selectors`."""
