"""The raw benchmark files: relative path, pinned public URL and sha256 (the published files)."""

from __future__ import annotations

from dataclasses import dataclass

_PACCANARO = "https://raw.githubusercontent.com/paccanarolab/Side-effect-Frequencies/34c1b3a77949e16fba630b97006eab949b5b1cae/data%20analysis/data/"
_MGPRED = "https://raw.githubusercontent.com/zhc940702/MGPred/537ec2fb2adf95e6162e5899a7834216cbd2c60a/original_data/"
_SIDER = "https://raw.githubusercontent.com/Qstj/sider/51876d00cd37e0f1f2036ed378fb3011a1a3b685/data/"
_DRUGBANK = "https://raw.githubusercontent.com/dhimmel/drugbank/6b9ae386d6ba4a0eca2d66d4b0337a6e90fe81f4/data/"  # CC BY-NC 4.0
_ATCD = "https://raw.githubusercontent.com/fabkury/atcd/1e92aec7c52c7e324080416294bb8e68cf686685/"  # CC BY-NC-SA 4.0
_SIDER4 = "https://raw.githubusercontent.com/dhimmel/SIDER4/be3adebc0d845baaddb907a880890cb5e85f5801/download/"  # CC BY-NC-SA 4.0


@dataclass(frozen=True)
class RawFile:
    path: str
    url: str
    sha256: str


RAW_FILES: tuple[RawFile, ...] = (
    RawFile("galeano/FrequencyData.mat", _PACCANARO + "FrequencyData.mat", "18b2468bc2febc12816e16f707c814e5ef1798566969811ee0d8da74887b7482"),
    RawFile("mgpred/drug_SMILES.xlsx", _MGPRED + "drug_SMILES.xlsx", "3af9aef9a78014819d1c99f1ccf9dcf4df1fb83f7b1f92b1d762139bb74b79b6"),
    RawFile("mgpred/drug_id.xlsx", _MGPRED + "drug_id.xlsx", "c4c4024aa7b13a87a154e7abb551c272c3c54d6e9ee593c80b5f9f9662e869f1"),
    RawFile("mgpred/side_id.xlsx", _MGPRED + "side_id.xlsx", "8a0d9e27e432f745027ff053eb5f96a676e7da002c4bb52c396a9e175395ce8d"),
    RawFile("mgpred/Sup_1.xlsx", _MGPRED + "Sup_1.xlsx", "c3974e6fff508a8e8055655aa2582f6f0064a92c0ff2c4fd6dbb9c56a3c48c7a"),
    RawFile("mgpred/ADR_Drug.xlsx", _MGPRED + "ADR_Drug.xlsx", "7ba074a45ea4dd312dba78da16e9b1f67c6f4ac2d0169149f771c076fee33627"),
    RawFile("meddra/soc.asc", _SIDER + "soc.asc", "8ea5321b4ca0bdb04aa6aa8e8adc59be84b503860abe99c058ce3c72c8bb7007"),
    RawFile("meddra/hlgt.asc", _SIDER + "hlgt.asc", "e34ca726dce28ab186626bbc0a2a910398929212e4f912d645aff1d534bafb7e"),
    RawFile("meddra/hlt.asc", _SIDER + "hlt.asc", "6f424827f01de6e4a24aead241077ae6f8da0d78601bc35ee5d8e6d8664f7641"),
    RawFile("meddra/pt.asc", _SIDER + "pt.asc", "923ffa7494ceae8e2f73d5c1e8f59952f97ebcc26e4b0e6b70338163e5d2cc79"),
    RawFile("meddra/soc_hlgt.asc", _SIDER + "soc_hlgt.asc", "5aabb7ade24e866af4a2e001984c8f44489fff7df26319747355e68b7594b23c"),
    RawFile("meddra/hlgt_hlt.asc", _SIDER + "hlgt_hlt.asc", "3544373df69fd40d969a06e30cebdccd711c5b5e73c5f889cac024d4b900ea38"),
    RawFile("meddra/hlt_pt.asc", _SIDER + "hlt_pt.asc", "ba12b74595298094ca6d611fac81a3101f7f029964babfcd220b825d863d42e6"),
    RawFile("atc/drug_atc.tsv", _SIDER + "drug_atc.tsv", "72c1d4350928457eb0ee69bcd6b2ee4b9d0e2bb2c40543f5a13866bde40385b9"),
    RawFile("drugbank/drugbank.tsv", _DRUGBANK + "drugbank.tsv", "66050d51cb7a614ea6e951d630d2cf40893b75026ebe8f56c6cc37c0e73c3edd"),
    RawFile("drugbank/proteins.tsv", _DRUGBANK + "proteins.tsv", "8f78ad48e0dc9414074b00bf28e47048a1eafe9d5810a415547b8df69972c4e8"),
    RawFile(
        "drugbank/pubchem-mapping.tsv",
        _DRUGBANK + "pubchem-mapping.tsv",
        "c842d787d39741bd8957b2224c4899d21afa5cb353b152fdef5658467d93c292",
    ),
    RawFile("drugbank/aliases.json", _DRUGBANK + "aliases.json", "b6993c6c4e085e646a4101a8f44c7f75569136b3db4b51b7952791d14f33ae04"),
    RawFile(
        "atc/who_atc_ddd_2026-04-25.csv",
        _ATCD + "WHO%20ATC-DDD%202026-04-25.csv",
        "2c5caa215d05c71834cfda0d3782d17e22704d9565cdd012bd00e567e546ac0d",
    ),
    RawFile("sider/meddra_all_se.tsv.gz", _SIDER4 + "meddra_all_se.tsv.gz", "119b2f5319a9398da83e5fe3419889010dbacf8d3eef590251b00c025e2b3f99"),
    RawFile("sider/meddra_freq.tsv.gz", _SIDER4 + "meddra_freq.tsv.gz", "fcdfbf479c6b568dfca557a3eb2cdbe49c4a3291090999c0de0bd7092feaec7f"),
    RawFile(
        "sider/meddra_all_indications.tsv.gz",
        _SIDER4 + "meddra_all_indications.tsv.gz",
        "3e019c1baec86a5ce056e428da803e821c2708ef22522950a738f330b5985d02",
    ),
)

MIRROR_ENV = "LLMPREDGRAPH_DATA_MIRROR"
