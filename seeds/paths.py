"""Where the shipped open data lives."""

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
TERRITORIES_DIR = DATA_DIR / "territories"
SILL_DIR = DATA_DIR / "sill"
BETAGOUV_DIR = DATA_DIR / "betagouv"
RETEX_DIR = DATA_DIR / "retex"
ANCT_DIR = DATA_DIR / "anct-investigations"
BAL_DIR = DATA_DIR / "bal-partners"
