"""The CRM download portal: logins, roles, the daily lists of the exports folder, an audit trail.

``create_app`` (in ``app``) builds the web application; ``commands`` adds ``panorama portal`` and
``panorama users`` to the command line.
"""
