"""Command line: thin click commands that call the workflows layer. Commands are registered here,
explicitly; nothing below this package imports it."""

from __future__ import annotations

import click

from .ask import ask
from .common import OneLineErrors
from .data import data
from .distil import distil
from .evaluation import ablate, compare, experiment
from .models import contrastive, embed, export, finetune, predict, train
from .pretrain import pretrain
from .screen import screen
from .serve import serve


@click.group(cls=OneLineErrors)
@click.version_option(package_name="llmpredgraph")
def main():
    """Predict how often a drug causes each side effect (Galeano 2020 benchmark).

    Typical flow: `data fetch`, `data prepare`, `experiment --config configs/cold.yaml`.
    """


for command in (
    data,
    embed,
    contrastive,
    finetune,
    experiment,
    ablate,
    compare,
    train,
    predict,
    export,
    distil,
    serve,
    screen,
    pretrain,
    ask,
):
    main.add_command(command)
