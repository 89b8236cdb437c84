import pytest
import torch

from zoo.metrics.classification import masked_accuracy, node_classification_metrics


def test_accuracy_counts_the_masked_nodes_only():
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0], [3.0, 0.0], [0.0, 5.0]])
    target = torch.tensor([0, 0, 1, 1])  # right, wrong, wrong, right
    mask = torch.tensor([True, True, False, True])
    assert masked_accuracy(logits, target, mask).item() == pytest.approx(2 / 3)
    assert masked_accuracy(logits, target, torch.tensor([True, False, False, True])).item() == 1.0


def test_the_percentage_is_the_float32_fraction_times_100_in_double():
    logits = torch.randn(1000, 7, generator=torch.Generator().manual_seed(0))
    target, mask = torch.arange(1000) % 7, torch.ones(1000, dtype=torch.bool)
    metrics = node_classification_metrics(logits, target, mask)
    assert metrics["accuracy"] == float(masked_accuracy(logits, target, mask)) * 100  # the card's arithmetic
    torch.testing.assert_close(metrics["loss"], torch.nn.functional.cross_entropy(logits, target))
