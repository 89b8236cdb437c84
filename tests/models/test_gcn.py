import torch

from zoo.registry import create_model


def test_gcn_outputs_logits_per_node_and_is_deterministic_in_eval():
    model = create_model("gcn", in_channels=8, out_channels=3).eval()
    x, edge_index = torch.randn(10, 8), torch.randint(0, 10, (2, 30))
    out = model(x, edge_index)
    assert out.shape == (10, 3)
    torch.testing.assert_close(out, model(x, edge_index))


def test_dropout_is_active_in_training():
    torch.manual_seed(0)
    model = create_model("gcn", in_channels=8, out_channels=3, dropout=0.9).train()
    x, edge_index = torch.randn(10, 8), torch.randint(0, 10, (2, 30))
    assert not torch.allclose(model(x, edge_index), model(x, edge_index))


def test_weight_decay_applies_to_first_layer_only():
    model = create_model("gcn", in_channels=8, out_channels=3)
    regularised = {id(p) for p in model.regularised_parameters()}
    assert regularised == {id(p) for p in model.conv1.parameters()}
