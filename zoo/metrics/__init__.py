"""Evaluation metrics: Parzen-window log-likelihood (parzen.py), MOSES molecule metrics (moses.py), FID ..."""
