"""zoo: a PyTorch Lightning model zoo of generative and graph models with pretrained checkpoints.

    import zoo
    model = zoo.load("gcn-cora")          # an eval-mode nn.Module; safetensors only, no Lightning needed
    zoo.list_models("*-mnist")            # ids matching a pattern
    zoo.create_model("gcn", in_channels=1433, out_channels=7)   # an untrained model
"""

from zoo.hub import load
from zoo.registry import create_model, list_models

__version__ = "0.1.0"


def push(model_id: str, repo_id: str, private: bool = False) -> str:
    """Upload ``checkpoints/<model_id>/`` to the Hub as ``repo_id``; return and record the pinned revision."""
    from zoo.push import push as _push

    return _push(model_id, repo_id, private=private)


__all__ = ["load", "list_models", "create_model", "push", "__version__"]
