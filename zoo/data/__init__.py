"""Datasets: raw-format readers and LightningDataModules. Every loader reads under one data root."""

from zoo.data.root import DataNotFoundError, data_root, require_path

__all__ = ["DataNotFoundError", "data_root", "require_path"]
