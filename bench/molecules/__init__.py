"""Molecule graph networks (NFP on ESOL, MPNN on QM9 and FreeSolv): the runs behind the nfp-*/mpnn-* cards."""
