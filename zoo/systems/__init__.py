"""LightningModules: how each shipped ``nn.Module`` (kept in the attribute ``net``) is trained."""
