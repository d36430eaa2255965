"""Where the shipped open data lives."""

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
TERRITORIES_DIR = DATA_DIR / "territories"
SILL_DIR = DATA_DIR / "sill"
BETAGOUV_DIR = DATA_DIR / "betagouv"
RETEX_DIR = DATA_DIR / "retex"
DGCL_DIR = DATA_DIR / "dgcl-investment-grants"
BAL_PARTNERS_DIR = DATA_DIR / "bal-partners"
PUBLIC_CODE_DIR = DATA_DIR / "public-code"
ANCT_DIR = DATA_DIR / "anct-investigations"
