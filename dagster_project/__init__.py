"""VIP Panorama: Dagster definitions, the command line and the built-in data simulator."""
