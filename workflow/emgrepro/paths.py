"""Where the repository's fixed files live."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = ROOT / "config"
DATASETS_YAML = CONFIG_DIR / "datasets.yaml"
SCHEMA_YAML = CONFIG_DIR / "schema.yaml"
PUBLISHED_CSV = CONFIG_DIR / "published.csv"
