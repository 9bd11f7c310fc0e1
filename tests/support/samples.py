"""Small hand-written deliveries the tests share: an FK month, a region month, two deltagare,
numbers shaped like personnummer."""

from __future__ import annotations

import subprocess

from tests.conftest import VENV_BIN, cli_env, pid
from utfall.db.config import Paths

FK_HEADER = "person_id;manad;formankod;omfattning;dagar;belopp_sek;skatt_sek"
FK_ROWS = [
    f"{pid(1)};2024-01;SJP;100;31;20000;6000",
    f"{pid(2)};2024-01;AKS;50;20;5000,50;",
    f"{pid(3)};2024-01;SJE;100;31;12000;3000",
]
GOOD_FK = "\n".join([FK_HEADER, *FK_ROWS]) + "\n"
GOOD_REGION = f"person_id;manad;oppenvardsbesok;slutenvardsdagar\n{pid(1)};2024-01;2;0\n{pid(2)};2024-01;0;3\n"
DELTAGARE_HEADER = (
    "person_id;forbund_id;insats_id;kodatum;inskrivningsdatum;avslutsdatum;kon;fodelsear;hemkommun;"
    "utbildningsniva;status;avslutsorsak"
)
DELTAGARE_ROWS = [
    f"{pid(1)};sf01;sf01-ips;2024-01-10;2024-02-01;;K;1990;0180;gymnasium;aktiv;",
    f"{pid(2)};sf01;sf01-ips;2024-01-15;2024-02-10;2024-11-30;M;1985;0180;grundskola;avslutad;arbete",
]

# Valid numbers (date and Luhn check digit verified by hand): 1985-03-12 / 1231, and the
# samordningsnummer of 1985-03-12 (day 12 + 60 = 72) / 1238.
PERSONNUMMER_10 = "8503121231"
SAMORDNINGSNUMMER = "850372-1238"


def fk(*rows: str, header: str = FK_HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def run_cli(home: Paths, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "utfall"), *args], env=cli_env(home), capture_output=True, text=True,
                          timeout=300)
