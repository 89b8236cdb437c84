"""The raw Planetoid files, ``ind.<name>.{x,tx,allx,y,ty,ally,graph,test.index}``, read without a general
unpickler into the graph PyG's ``Planetoid`` dataset builds from them.

The files are Python 2 pickles (Yang et al. 2016): feature matrices as scipy CSR matrices, one-hot labels as
numpy arrays, the graph as a ``defaultdict`` of neighbour lists; ``test.index`` is text. They come from a data
root the zoo did not write, so they are input: :func:`zoo.io.restricted_load` builds them from the exact
constructors in :data:`CONSTRUCTORS` (stand-ins that make plain arrays, dicts and lists) and nothing else, and
what it returns is checked to be plain numbers before a tensor is made of it. The graph then follows
``torch_geometric.io.planetoid.read_planetoid_data`` (PyG 2.8) step by step, so the result is the same ``Data``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.sparse
import torch
from torch_geometric.data import Data
from torch_geometric.io import read_txt_array
from torch_geometric.io.planetoid import edge_index_from_dict
from torch_geometric.utils import index_to_mask

from zoo.io import UnsafeFileError, restricted_load

FIELDS = ("x", "tx", "allx", "y", "ty", "ally", "graph", "test.index")
WHAT = "Planetoid raw file (https://github.com/kimiyoung/planetoid)"
NUM_VAL = 500  # the public split: the 500 nodes after the labelled ones validate
MAX_DENSE = 10**8  # entries of a dense feature matrix (PubMed: 19,717 x 500; CiteSeer: 3,327 x 3,703)


class _SparseRowsState:
    """What a pickled ``scipy.sparse.csr_matrix`` holds (its ``__dict__``: ``data``, ``indices``, ``indptr``,
    ``_shape``); the matrix is built from these by :func:`_as_array`, not by unpickling scipy's class."""


def _empty_array(subtype: type, shape: tuple, dtype: str | bytes) -> np.ndarray:
    """numpy's pickle constructor (``_reconstruct``) for plain arrays only, called as numpy pickles an array: with
    shape ``(0,)`` (nothing is allocated here); the pickle then fills it with ``ndarray.__setstate__``, whose data
    is in the file."""
    if subtype is not np.ndarray or tuple(shape) != (0,):
        raise UnsafeFileError(f"a pickled array of type {subtype!r} and shape {shape!r}, not as numpy writes one")
    return np.ndarray(shape, dtype=np.dtype(dtype.decode("latin1") if isinstance(dtype, bytes) else dtype))


def _plain_dict(*factory: object) -> dict:
    """``collections.defaultdict`` as a plain dict (its default factory is never needed to read the graph)."""
    return {}


def _latin1_bytes(text: str, encoding: str) -> bytes:
    """``_codecs.encode``, which a Python 3 protocol-2 pickle uses for bytes (a file saved again by numpy)."""
    if encoding != "latin1":
        raise UnsafeFileError(f"bytes encoded as {encoding!r}, not latin1")
    return text.encode("latin1")


def _empty_bytes(*args: object) -> bytes:
    """``bytes()``, which a Python 3 protocol-2 pickle uses for ``b""`` (never ``bytes(n)``: n zero bytes)."""
    if args:
        raise UnsafeFileError(f"bytes built from {type(args[0]).__name__}, not empty bytes")
    return b""


# Every (module, name) the raw files name, as Python 2 wrote them and as Python 3 writes them again.
CONSTRUCTORS = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("numpy.core.multiarray", "_reconstruct"): _empty_array,
    ("numpy._core.multiarray", "_reconstruct"): _empty_array,
    ("scipy.sparse.csr", "csr_matrix"): _SparseRowsState,
    ("scipy.sparse._csr", "csr_matrix"): _SparseRowsState,
    ("collections", "defaultdict"): _plain_dict,
    ("__builtin__", "list"): list,
    ("builtins", "list"): list,
    ("_codecs", "encode"): _latin1_bytes,
    ("__builtin__", "bytes"): _empty_bytes,
    ("builtins", "bytes"): _empty_bytes,
}


def _numbers(value: object, path: Path) -> np.ndarray:
    """``value`` if it is a numpy array of booleans, integers or floats (never objects)."""
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "biuf":
        raise UnsafeFileError(f"{path} is not a plain {WHAT}: it holds {type(value).__name__} "
                              f"{getattr(value, 'dtype', '')}, not an array of numbers. Replace it with the "
                              "original file.")
    return value


def _as_array(value: object, path: Path) -> np.ndarray:
    """A feature or label matrix as a dense array (a CSR state is checked and densified)."""
    if isinstance(value, _SparseRowsState):
        state = vars(value)
        if not {"data", "indices", "indptr", "_shape"} <= state.keys():
            raise UnsafeFileError(f"{path} is not a readable {WHAT}: its sparse matrix lacks "
                                  f"{sorted({'data', 'indices', 'indptr', '_shape'} - state.keys())}")
        parts = tuple(_numbers(state[k], path) for k in ("data", "indices", "indptr"))
        try:
            rows, cols = (int(n) for n in state["_shape"])
            matrix = scipy.sparse.csr_matrix(parts, shape=(rows, cols))
        except (TypeError, ValueError) as err:
            raise UnsafeFileError(f"{path} is not a readable {WHAT}: its sparse matrix is malformed ({err}); "
                                  "replace it with the original file") from None
        if rows * cols > MAX_DENSE:  # checked before densifying: a forged shape must not allocate terabytes
            raise UnsafeFileError(f"{path} is not a plain {WHAT}: its {rows} x {cols} feature matrix is over "
                                  f"{MAX_DENSE:,} entries. Replace it with the original file.")
        value = matrix.toarray()
    return _numbers(value, path)


def _graph(value: object, path: Path) -> dict[int, list[int]]:
    """The adjacency lists, checked to be ``{node: [node, ...]}`` of ints."""
    if not isinstance(value, dict) or not all(
            isinstance(k, int) and isinstance(v, list) and all(isinstance(n, int) for n in v)
            for k, v in value.items()):
        raise UnsafeFileError(f"{path} is not a plain {WHAT}: the graph is not a mapping of node ids to lists of "
                              "node ids. Replace it with the original file.")
    return value


def read_field(raw: Path, name: str, field: str) -> torch.Tensor | dict[int, list[int]]:
    """One raw file as PyG's ``read_file`` returns it: a float tensor, the graph dict, or the test indices."""
    path = raw / f"ind.{name.lower()}.{field}"
    if field == "test.index":
        return read_txt_array(str(path), dtype=torch.long)
    value = restricted_load(path, CONSTRUCTORS, WHAT)
    if field == "graph":
        return _graph(value, path)
    return torch.from_numpy(_as_array(value, path)).to(torch.float)


def read_planetoid(raw: Path, name: str) -> Data:
    """The whole graph of Cora, CiteSeer or PubMed with the public split's masks (``read_planetoid_data``)."""
    x, tx, allx, y, ty, ally, graph, test_index = (read_field(raw, name, f) for f in FIELDS)
    train_index = torch.arange(y.size(0), dtype=torch.long)
    val_index = torch.arange(y.size(0), y.size(0) + NUM_VAL, dtype=torch.long)
    sorted_test_index = test_index.sort()[0]
    if name.lower() == "citeseer":  # isolated test nodes: zero rows where the test indices skip
        span = int(test_index.max() - test_index.min()) + 1
        tx_ext = torch.zeros(span, tx.size(1), dtype=tx.dtype)
        tx_ext[sorted_test_index - test_index.min(), :] = tx
        ty_ext = torch.zeros(span, ty.size(1), dtype=ty.dtype)
        ty_ext[sorted_test_index - test_index.min(), :] = ty
        tx, ty = tx_ext, ty_ext
    x = torch.cat([allx, tx], dim=0)
    x[test_index] = x[sorted_test_index]
    y = torch.cat([ally, ty], dim=0).max(dim=1)[1]
    y[test_index] = y[sorted_test_index]
    data = Data(x=x, edge_index=edge_index_from_dict(graph, num_nodes=y.size(0)), y=y)
    data.train_mask = index_to_mask(train_index, size=y.size(0))
    data.val_mask = index_to_mask(val_index, size=y.size(0))
    data.test_mask = index_to_mask(test_index, size=y.size(0))
    return data
