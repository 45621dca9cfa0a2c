"""Generic pages and API base classes every domain app builds on (NetBox's ``views.generic`` and viewsets).

Above core, accounts and audit, below the domain apps: the list, detail and edit views scope through
``for_user``, audit exports and use the permission table, so they cannot live in ``core``, which stays a
leaf that imports no other app.
"""
