"""No Django-admin screens for personal data: the admin would bypass scoping, masking and audit.

People records are managed only through the scoped pages and API of this app.
"""
