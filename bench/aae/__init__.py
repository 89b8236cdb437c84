"""The adversarial autoencoder reproductions: one entry point per dataset (python -m bench.aae.<dataset>)."""
