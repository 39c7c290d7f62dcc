"""Real frameworks through MLflow's own callbacks: Lightning's MLFlowLogger (a tiny CPU
model, hyperparameters, per-step and per-epoch metrics, checkpoints as artifacts) and
Optuna's MLflowCallback (one run per trial).  Args: <prefix>."""

from __future__ import annotations

import os
import tempfile

import mlflow
import optuna
import torch
from _common import emit, start
from lightning import LightningModule, Trainer
from lightning.pytorch.loggers import MLFlowLogger
from optuna_integration.mlflow import MLflowCallback
from torch.utils.data import DataLoader, TensorDataset

[prefix] = start()
os.chdir(tempfile.mkdtemp())  # Lightning writes its checkpoints under the working folder
url = mlflow.get_tracking_uri()
out: dict = {"torch": torch.__version__}
torch.manual_seed(0)


class Tiny(LightningModule):
    def __init__(self, lr: float = 0.05, hidden: int = 4) -> None:  # noqa: ARG002 - hparams
        super().__init__()
        self.save_hyperparameters()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(3, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1)
        )

    def training_step(self, batch, _):
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.net(x), y)
        self.log("train_loss", loss, on_step=True, on_epoch=True)
        return loss

    def validation_step(self, batch, _):
        x, y = batch
        self.log("val_loss", torch.nn.functional.mse_loss(self.net(x), y))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)


x = torch.randn(64, 3)
y = x.sum(dim=1, keepdim=True)
data = DataLoader(TensorDataset(x, y), batch_size=16)
logger = MLFlowLogger(
    experiment_name=f"{prefix}-lightning", tracking_uri=url, log_model=True, run_name="tiny"
)
trainer = Trainer(
    max_epochs=3,
    logger=logger,
    accelerator="cpu",
    enable_progress_bar=False,
    enable_model_summary=False,
    log_every_n_steps=1,
)
trainer.fit(Tiny(), data, data)
out["lightning_run_id"] = logger.run_id
out["lightning_steps"] = trainer.global_step
out["lightning_final_loss"] = float(trainer.callback_metrics["train_loss_epoch"])

study_name = f"{prefix}-optuna"


def objective(trial: optuna.Trial) -> float:
    a = trial.suggest_float("a", -3, 3)
    kind = trial.suggest_categorical("kind", ["x", "y"])
    return (a - 1) ** 2 + (0.5 if kind == "y" else 0.0)


callback = MLflowCallback(tracking_uri=url, metric_name="loss", create_experiment=True)
optuna.logging.set_verbosity(optuna.logging.WARNING)
study = optuna.create_study(study_name=study_name, sampler=optuna.samplers.TPESampler(seed=1))
study.optimize(objective, n_trials=6, callbacks=[callback])
out["trials"] = [{"number": t.number, "params": t.params, "value": t.value} for t in study.trials]
emit(out)
