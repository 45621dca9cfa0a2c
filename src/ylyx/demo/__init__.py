"""The synthetic demo city (巴彦淖尔, 150800): a deterministic generator whose 2020 aggregates are the plan's.

Layout: ``spec`` (what the city must add up to at a scale), ``names``/``util`` (plain helpers),
``regions``, ``people``, ``institutions``, ``occupancy``, ``workforce`` (plain-Python generators that
return rows with explicit ids), ``db`` (fast inserts) and ``build`` (the orchestrator used by
``manage.py build_demo``). Individual people are fake; aggregates are the document's.
"""
