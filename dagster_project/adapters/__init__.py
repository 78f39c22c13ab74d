"""Import adapters: map an operator's own history into the landing contract.

Each adapter turns one kind of external log into ``landing/<source>/dt=YYYY-MM-DD/`` files, so
the normal ingest and dbt pipeline run on it. ``panorama import-transactions`` is their command.
"""
