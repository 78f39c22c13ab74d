"""Machine learning for VIP Panorama: plain Python, importable without Dagster."""
