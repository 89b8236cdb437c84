"""GCN on Planetoid (Kipf & Welling 2017): the seed sweep behind the gcn-* cards."""
