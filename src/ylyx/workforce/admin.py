"""No Django-admin screens for 从业人员: the admin would bypass scoping, masking and audit."""
