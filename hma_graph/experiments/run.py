"""One run from a resolved config: the role of DomainBed's ``train.py``.

    config = registry.resolve("table3", "paper", spec)
    record = run_spec(config)                       # trains, evaluates, returns the record

Steps: load the data (:func:`.datasets.load_data`), build the loaders (training batches shuffled by
a generator seeded with the run's seed; a final training batch of one graph is dropped, batch norm
cannot train on it), seed python, numpy, torch and every CUDA generator with the run's seed, build
the model and its objective (:func:`build_method`), train with :func:`hma_graph.train.fit` (test at
the best validation epoch), and for HMA models with the across-batch block also score the test set
at the selected weights under the other inference mode (``record["extra"]["test_<mode>"]``).

Hooks, for diagnostics and searches (none changes what the config says; a hook that changes the
protocol belongs in the config, e.g. ``overrides={"train": {"clip_grad_norm": 1.0}}`` or
``{"hma": {"attn_scale": "full"}}``):

* ``optimizer``: ``factory(param_groups) -> torch.optim.Optimizer`` (``fit(optimizer=)``);
* ``extra_eval``: ``{name: fn(model, loaders) -> value}`` run at the selected weights;
* ``checkpoint``: file to save the training state to and resume from (``fit(checkpoint=)``).

Table 4's hooks are config keys too: ``data.augment`` / ``data.gmixup`` (:func:`build_loaders`) and
``train.lr_step`` (``fit(lr_step=)``, StepLR).

The record is ``fit``'s record plus ``config`` (the resolved config, the run's identity),
``sizes`` (graphs per split), ``in_dim``, ``num_classes``, ``params`` (trainable parameters),
``setup_s``, ``epoch_s_mean``/``eval_s_mean`` and ``machine`` (versions, threads, host).
"""
from __future__ import annotations

import random
import statistics
import time
from typing import Callable, Dict, Mapping, Optional

import numpy as np
import torch

from .datasets import load_data
from .machine import machine

__all__ = ["run_spec", "seed_everything", "build_method", "build_loaders", "model_inputs"]


def seed_everything(seed: int) -> None:
    """Seed python's ``random``, numpy and torch (CPU and every CUDA device)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def model_inputs(config: Mapping) -> Callable:
    """``inputs(g)``: the model's positional arguments (molecules also take edge features)."""
    if config["model"]["name"] == "ogb_mol":
        return lambda g: (g, g.ndata["feat"], g.edata["feat"])
    return lambda g: (g, g.ndata["feat"])


def build_loaders(config: Mapping, graphs, labels, split, num_classes: Optional[int] = None) -> Dict[str, object]:
    """Training loader (shuffled by the seed; sharded over ranks under torch.distributed), and the
    full validation and test loaders (every rank evaluates all of them).

    Table 4's training-side augmentations (``config["data"]``): ``augment`` gives the training
    loader a per-graph transform (:func:`hma_graph.augment.training_transform`: DropEdge, DropNode,
    Subgraph, drawn afresh for every batch); ``gmixup`` adds G-Mixup's synthetic graphs with soft
    labels to the training set once (:func:`.datasets.with_gmixup`; needs ``num_classes``).
    Validation and test graphs are never transformed.
    """
    from ..augment.structure import training_transform
    from ..data.loader import GraphLoader
    from ..nn.distributed import world_size

    bs, seed, ws = int(config["train"]["batch_size"]), int(config["seed"]), world_size()
    shard = (torch.distributed.get_rank(), ws) if ws > 1 else None
    data = config["data"]
    train_labels, eval_labels, train_idx = labels, labels, split["train"]
    if data.get("gmixup") is not None:
        from .datasets import with_gmixup

        graphs, train_labels, eval_labels, train_idx = with_gmixup(config, graphs, labels, split, num_classes)
    train = GraphLoader(graphs, train_labels, bs, shuffle=True, seed=seed, drop_last_if_single=True,
                        indices=train_idx, shard=shard, transform=training_transform(data.get("augment")))
    return {"train": train, **{s: GraphLoader(graphs, eval_labels, bs, indices=split[s]) for s in ("valid", "test")}}


def data_parallel(model, objective):
    """``model`` in ``DistributedDataParallel`` (the objective then calls the wrapped module),
    keeping what fit reads from it (``hma_wrapped``, ``param_groups``)."""
    from torch.nn.parallel import DistributedDataParallel

    ddp = DistributedDataParallel(model)
    for attr in ("hma_wrapped", "param_groups"):
        if hasattr(model, attr):
            setattr(ddp, attr, getattr(model, attr))
    if objective is not None:
        objective.model = ddp
    return ddp


def build_method(config: Mapping, in_dim: Optional[int], num_classes: int):
    """``(model, objective or None)`` of a resolved config; call after :func:`seed_everything`."""
    import hma_graph
    from ..objectives import make_objective

    m = {k: v for k, v in config["model"].items() if k != "name"}
    if config["model"]["name"] == "ogb_mol":
        from ..models.ogb_mol import OGBMolGNN

        model = OGBMolGNN(num_tasks=num_classes, **m)
    elif config["model"]["name"] == "asap":
        from ..models.asap import ASAPClassifier

        model = ASAPClassifier(in_dim, num_classes, **m)
    elif config["model"]["name"] == "ciga":
        from ..models.ciga import CIGAModel

        model = CIGAModel(in_dim, num_classes, **m)
    else:
        from ..models import GNNClassifier

        model = GNNClassifier(in_dim, num_classes, **m)
    if config["hma"] is not None:
        model = hma_graph.apply(model, num_classes, **config["hma"])
    obj = config["objective"]
    return model, None if obj is None else make_objective(obj["name"], model, **obj["hparams"])


def _other_mode_eval(config, loaders, inputs, objective) -> Dict[str, Callable]:
    other = config["eval"]["other_inference"]
    if other is None:
        return {}
    from ..metrics import compute_metric
    from ..nn.hma import inference_mode
    from ..train import predict

    def score(model):
        with inference_mode(model, other):
            return compute_metric(config["train"]["metric"], *predict(model, loaders["test"], inputs, objective))

    return {f"test_{other}": score}


def run_spec(config: Mapping, *, raw_dir: Optional[str] = None, progress: bool = False, desc: str = "train",
             optimizer: Optional[Callable] = None, extra_eval: Optional[Mapping[str, Callable]] = None,
             checkpoint=None, data=None, on_epoch: Optional[Callable] = None,
             evaluate_test: bool = True, return_model: bool = False):
    """Train the run ``config`` (a resolved config) and return its record (module docstring).

    ``data``: ``(graphs, labels, split, num_classes)`` to use instead of :func:`load_data`.
    ``on_epoch``: ``fn(epoch, history)`` after every epoch (``fit(on_epoch=)``).
    ``evaluate_test=False``: the test set is never evaluated (a search reads validation only).
    ``return_model=True``: return ``(record, model, loaders)``, the model at its last epoch's weights
    (for figures and inspection).
    """
    from ..train import fit

    t0 = time.perf_counter()
    graphs, labels, split, num_classes = data if data is not None else load_data(config, raw_dir)
    loaders = build_loaders(config, graphs, labels, split, num_classes)
    in_dim = None if config["model"]["name"] == "ogb_mol" else int(loaders["train"].graphs[0].ndata["feat"].shape[1])
    seed_everything(int(config["seed"]))
    model, objective = build_method(config, in_dim, num_classes)
    from ..nn.distributed import world_size

    trained = data_parallel(model, objective) if world_size() > 1 else model
    inputs = model_inputs(config)
    if not evaluate_test:
        loaders["test"] = None
    extra = _other_mode_eval(config, loaders, inputs, objective) if evaluate_test else {}
    for name, fn in (extra_eval or {}).items():
        extra[name] = lambda m, fn=fn: fn(m, loaders)
    tr = config["train"]
    setup_s = time.perf_counter() - t0
    rec = fit(trained, loaders["train"], loaders["valid"], loaders["test"], metric=tr["metric"],
              epochs=int(tr["epochs"]), lr=tr["lr"], weight_decay=tr["weight_decay"], loss=tr["loss"],
              inputs=inputs, warmup=tr["warmup"], patience=tr["patience"], count_warmup=tr["count_warmup"],
              hma_lr=tr["hma_lr"], clip_grad_norm=tr["clip_grad_norm"], objective=objective,
              extra_eval=extra or None, optimizer=optimizer, checkpoint=checkpoint, progress=progress,
              desc=desc, on_epoch=on_epoch, lr_step=tr.get("lr_step"))
    h = rec["history"]
    rec.update(config=dict(config), sizes={s: len(split[s]) for s in ("train", "valid", "test")},
               test_evaluated=evaluate_test,
               **({"synthetic": len(loaders["train"].indices) - len(split["train"])}
                  if config["data"].get("gmixup") is not None else {}),
               in_dim=in_dim, num_classes=num_classes, setup_s=setup_s,
               params=sum(p.numel() for p in model.parameters() if p.requires_grad),
               epoch_s_mean=statistics.fmean(h["epoch_s"]), eval_s_mean=statistics.fmean(h["eval_s"]),
               machine={**machine(), "world_size": world_size()})
    return (rec, model, loaders) if return_model else rec
