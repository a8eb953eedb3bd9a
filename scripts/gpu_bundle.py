#!/usr/bin/env python
"""Build `.gpu/`, what scripts/gpu_check.sh needs on a bare, offline GPU machine, in at most 58 MiB.

The lent GPU machine has torch, torch-geometric, transformers, peft, sentence-transformers, pandas and
scikit-learn, but no rdkit or pydantic, no internet, and no ../shared/data; and what travels with the
working tree is limited to 64 MiB. So this bundles (run it here, where PyPI answers):

- whl/: cp312 manylinux wheels of rdkit, pydantic (+ core), openpyxl (+ et-xmlfile);
- site/rxnfp/: the shipped SMILES BERT's folder alone (config, vocab, weights cast to float16 so it fits;
  the GPU trains in bf16 anyway), found as package `rxnfp` through PYTHONPATH;
- site/moses/: the first 60,000 MOSES training SMILES in the package's own layout (the wheel is 52 MB);
- data.tar.xz: this machine's prepared data folder (raw/ and processed/, no embedding cache), so the
  GPU spends no time on `data fetch` / `data prepare` (run both here first).

MiniLM (an 83 MB wheel) cannot travel, so the GPU runs use one-hot side-effect features: timings hold,
metrics are not comparable with the CPU tables. Usage: .venv/bin/python scripts/gpu_bundle.py
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[1]
WHEELS = ["rdkit==2026.9.1", "pydantic==2.14.4", "pydantic-core==2.50.5", "annotated-types", "typing-inspection"]
WHEELS += ["openpyxl", "et-xmlfile"]
PLATFORMS = ["manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"]
LIMIT_MIB = 58  # leaves room for the working tree itself under the 64 MiB that travel


def wheels(dest: Path) -> None:
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "--python-version"]
    cmd += ["3.12", "--implementation", "cp", "-d", str(dest)]
    for p in PLATFORMS:
        cmd += ["--platform", p]
    subprocess.run(cmd + WHEELS, check=True)


def smiles_bert(dest: Path) -> None:
    import torch

    from llmpredgraph.encoders.resolve import resolve_model

    src = Path(resolve_model("rxnfp-bert", "chem")[0])  # the installed package's folder
    out = dest / "rxnfp/models/transformers/bert_pretrained"
    out.mkdir(parents=True)
    (dest / "rxnfp/__init__.py").write_text('"""The shipped SMILES BERT\'s folder alone (scripts/gpu_bundle.py)."""\n')
    for f in ("config.json", "vocab.txt"):
        shutil.copy(src / f, out / f)
    state = torch.load(src / "pytorch_model.bin", map_location="cpu", weights_only=True)
    torch.save({k: v.half() if v.is_floating_point() else v for k, v in state.items()}, out / "pytorch_model.bin")


def moses_subset(dest: Path, n: int) -> None:
    from llmpredgraph.data.corpora import corpus_file

    src = corpus_file("moses")
    out = dest / "moses/dataset/data/train.csv.gz"
    out.parent.mkdir(parents=True)
    (dest / "moses/__init__.py").write_text(f'"""The first {n:,} MOSES training SMILES (scripts/gpu_bundle.py)."""\n')
    with gzip.open(src, "rt") as fin, gzip.open(out, "wt") as fout:
        for i, line in enumerate(fin):
            if i > n:  # the header plus n rows
                break
            fout.write(line)


def data_folder(dest: Path) -> None:
    from llmpredgraph.paths import data_dir

    src = data_dir()
    if not (src / "processed" / "manifest.json").is_file():
        raise click.ClickException(f"no prepared data in {src}: run `llmpredgraph data fetch` and `data prepare`")
    with tarfile.open(dest / "data.tar.xz", "w:xz") as tar:
        for part in ("raw", "processed"):
            tar.add(src / part, arcname=part)


def size_mib(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


@click.command()
@click.option("--out", default=str(ROOT / ".gpu"), show_default=True, type=click.Path(file_okay=False))
@click.option("--moses", "n_moses", default=60_000, show_default=True, help="MOSES SMILES to carry.")
def main(out: str, n_moses: int) -> None:
    """Build the bundle, replacing an earlier one, and check its size."""
    dest = Path(out)
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "whl").mkdir(parents=True)
    wheels(tmp / "whl")
    smiles_bert(tmp / "site")
    moses_subset(tmp / "site", n_moses)
    data_folder(tmp)
    mib = size_mib(tmp)
    if mib > LIMIT_MIB:
        raise click.ClickException(f"bundle is {mib:.1f} MiB, over {LIMIT_MIB} MiB: carry fewer MOSES SMILES")
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)  # all or nothing
    click.echo(f"{dest}: {mib:.1f} MiB; on the GPU machine: run(carry=['.gpu'], command='bash scripts/gpu_check.sh')")


if __name__ == "__main__":
    main()
