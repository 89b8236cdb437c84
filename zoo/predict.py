"""Batched prediction from SMILES, behind ``zoo predict``: one result per molecule, never a failed batch.

For each batch of SMILES (:meth:`SmilesPredictor.predict`):

1. each string is checked as text (:func:`zoo.chem.smiles_text_problem`: RDKit would read ``"CCCCCCCC O"`` as
   octane, and a tab or newline would break a table of results);
2. parsed by RDKit once; that one molecule is featurized by the model's own featurizer (``model.featurize``,
   the function its training data went through) and checked against the model's applicability domain
   (:func:`zoo.models.applicability_domain.domain_warnings`);
3. the molecules that featurized go through the model in one forward pass (a PyG ``Batch``).

A molecule that fails a step gets an ``error`` and the others are predicted. The per-molecule work is what a
plain loop does too (parse, featurize); the network, the collation and the Python around them are paid once
per batch, which is what makes it fast: ``bench/predict_throughput.py`` compares it with a plain loop.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import torch

from zoo.chem import MoleculeError, mol, smiles_text_problem
from zoo.models.applicability_domain import HEAVY_ATOM_RANGE, domain_warnings, training_set_of

BATCH_SIZE = 1000  # molecules per forward pass: enough to amortise the network's per-call cost on a CPU


@dataclass
class Prediction:
    """One molecule's result: ``values`` (one per target) or an ``error``, and any domain ``warnings``."""

    smiles: str
    values: list[float] = field(default_factory=list)
    error: str = ""
    warnings: list[str] = field(default_factory=list)


def one_line(err: BaseException) -> str:
    """An error message as one line (a CSV cell or a printed line), or the error's type if it has none."""
    return " ".join(str(err).split()) or type(err).__name__


class SmilesPredictor:
    """Predict molecules with ``model`` in batches. ``cfg`` (its registry entry) gives the target names and
    units and the training set's size range for the domain warnings; without it the model's own names are used.
    """

    def __init__(self, model: Any, cfg: Any = None, batch_size: int = BATCH_SIZE):
        if not callable(getattr(model, "featurize", None)):
            raise ValueError(f"{getattr(cfg, 'id', type(model).__name__)} does not predict from SMILES (it has "
                             "no featurize()); `zoo info ID` describes its inputs")
        self.model = model.eval()
        self.batch_size = batch_size
        extra = getattr(cfg, "extra", None) or {}
        self.target_names = list(extra.get("target_names") or getattr(model, "target_names", ["prediction"]))
        self.units = list(extra.get("units") or getattr(model, "units", [""] * len(self.target_names)))
        self.size_range = HEAVY_ATOM_RANGE.get(training_set_of(cfg)) if cfg is not None else None
        self.device = next(iter(model.buffers()), torch.empty(0)).device

    @property
    def columns(self) -> list[str]:
        """One output column per target: its name, with its unit in parentheses."""
        return [f"{name} ({unit})" if unit else name for name, unit in zip(self.target_names, self.units)]

    def predict(self, smiles: Sequence[str]) -> list[Prediction]:
        """One batch: every molecule parsed once, featurized (in one call where the model featurizes batches)
        and checked for its domain, all of them through one forward pass."""
        results = [Prediction(s) for s in smiles]
        parsed = [(result, molecule) for result in results if (molecule := self._parse(result)) is not None]
        for (result, molecule), row in zip(parsed, self._run([molecule for _, molecule in parsed])):
            if isinstance(row, str):
                result.error = row
            else:
                result.values = row
                result.warnings = domain_warnings(molecule, self.size_range)
        return results

    def predict_batches(self, smiles: Iterable[str]) -> Iterator[list[Prediction]]:
        """:meth:`predict` over ``smiles`` in batches of ``batch_size``, lazily (a stream of any length)."""
        it = iter(smiles)
        while batch := list(islice(it, self.batch_size)):
            yield self.predict(batch)

    @staticmethod
    def _parse(result: Prediction):
        """The RDKit molecule of ``result.smiles``, or None with ``result.error`` set."""
        problem = smiles_text_problem(result.smiles) if isinstance(result.smiles, str) else "not a string"
        if problem:
            result.error = problem
            return None
        molecule = mol(result.smiles)
        if molecule is None:
            result.error = f"RDKit cannot parse the SMILES {result.smiles!r}"
        return molecule

    @torch.no_grad()
    def _run(self, molecules: list) -> list[list[float] | str]:
        """Per molecule, the model's values or why there are none (the featurizer refused it, the model failed
        on it, or it returned a non-finite value). If the batch's forward pass fails, each molecule runs alone."""
        rows: list[list[float] | str] = [""] * len(molecules)
        kept, graph = self._featurize(molecules, rows)
        if not kept:
            return rows
        try:
            out = self.model(graph.to(self.device)).cpu()
        except (ValueError, RuntimeError) as err:
            if len(molecules) == 1:
                return [f"the model failed on this molecule: {one_line(err)}"]
            for i in kept:
                rows[i] = self._run([molecules[i]])[0]
            return rows
        for i, values, finite in zip(kept, out.tolist(), torch.isfinite(out).all(dim=-1).tolist()):
            rows[i] = values if finite else "the model returned a non-finite value for this molecule"
        return rows

    def _featurize(self, molecules: list, rows: list) -> tuple[list[int], Any]:
        """The indices that featurized and their batched graph; the others get their error in ``rows``. A model
        with ``featurize_batch`` featurizes the whole batch in one call, any other one molecule at a time."""
        from torch_geometric.data import Batch, Data

        if callable(getattr(self.model, "featurize_batch", None)):
            fields, errors = self.model.featurize_batch(molecules)
            for i, error in enumerate(errors):
                rows[i] = error
            return [i for i, error in enumerate(errors) if not error], Data(**fields)
        kept, items = [], []
        for i, molecule in enumerate(molecules):
            try:
                items.append(Data(**self.model.featurize(molecule)))
            except (MoleculeError, ValueError, RuntimeError) as err:
                rows[i] = one_line(err)
                continue
            kept.append(i)
        return kept, Batch.from_data_list(items) if items else None


def shown_smiles(smiles: str) -> str:
    """``smiles`` as it can be printed in a line of text: quoted and escaped when it holds whitespace, control
    or non-ASCII characters, so a tab or newline in the input never breaks the line."""
    return repr(smiles) if smiles_text_problem(smiles) and smiles else smiles


def text_line(result: Prediction, names: Sequence[str], units: Sequence[str]) -> str:
    """``SMILES<TAB>name = value unit, ...<TAB>warning: ...`` or ``SMILES<TAB>error: ...``."""
    if result.error:
        return f"{shown_smiles(result.smiles)}\terror: {result.error}"
    shown = ", ".join(f"{n} = {v:.4g} {u}".rstrip() for n, v, u in zip(names, result.values, units))
    return f"{shown_smiles(result.smiles)}\t{shown}" + "".join(f"\twarning: {w}" for w in result.warnings)


def csv_cells(result: Prediction, num_targets: int) -> list[str]:
    """The cells a result adds to its input row: one per target (empty on error), ``error``, ``warning``."""
    values = [format(v, ".6g") for v in result.values] or [""] * num_targets
    return [*values, result.error, "; ".join(result.warnings)]
