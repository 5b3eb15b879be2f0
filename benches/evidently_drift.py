"""Evidently's data-drift preset on two periods of one file: the anchor of `shelfcast bench drift`.

Usage: evidently_drift.py REF_FILE CUR_FILE DATE_COLUMN REF_FIRST REF_LAST CUR_FIRST CUR_LAST NUMERIC CATEGORICAL HTML_OUT
(an empty FIRST / LAST keeps every row of that file)
(NUMERIC and CATEGORICAL: comma-separated column lists, the types Shelfcast tests them as, so
both tools test the same columns the same way). Prints key=value lines; SKIP when Evidently is
missing or does not import (0.7 needs pandas < 3: use a virtualenv and
SHELFCAST_EVIDENTLY_PYTHON=/path/to/venv/bin/python).
"""
import sys
import time

try:
    import pandas as pd
    from evidently import Dataset, DataDefinition, Report
    from evidently.presets import DataDriftPreset
    import evidently
except Exception as e:  # ImportError, or Evidently 0.7 failing on pandas 3
    print(f"SKIP evidently is not importable here ({type(e).__name__}: {e}); "
          "pip install 'evidently==0.7.*' 'pandas<3' in a virtualenv and set "
          "SHELFCAST_EVIDENTLY_PYTHON to its python")
    sys.exit(0)

(ref_path, cur_path, date_column, ref_first, ref_last, cur_first, cur_last, numeric, categorical,
 html_out) = sys.argv[1:11]
numeric = [c for c in numeric.split(",") if c]
categorical = [c for c in categorical.split(",") if c]
columns = numeric + categorical

started = time.perf_counter()


def read(path):
    return pd.read_csv(path, parse_dates=[date_column],
                       dtype={c: str for c in categorical if c != date_column}, low_memory=False)


def period(frame, first, last):
    if not first:
        return frame[columns]
    dates = frame[date_column]
    return frame[(dates >= first) & (dates <= last)][columns]


# Integers kept as categories are read as text; Shelfcast counts the same levels.
reference_file = read(ref_path)
current_file = reference_file if cur_path == ref_path else read(cur_path)
reference = period(reference_file, ref_first, ref_last)
current = period(current_file, cur_first, cur_last)
loaded = time.perf_counter()

definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
report = Report([DataDriftPreset()])
snapshot = report.run(
    current_data=Dataset.from_pandas(current, data_definition=definition),
    reference_data=Dataset.from_pandas(reference, data_definition=definition),
)
result = snapshot.dict()
finished = time.perf_counter()

print(f"evidently={evidently.__version__}")
print(f"pandas={pd.__version__}")
print(f"reference_rows={len(reference)}")
print(f"current_rows={len(current)}")
print(f"load_seconds={loaded - started:.4f}")
print(f"run_seconds={finished - loaded:.4f}")
for metric in result["metrics"]:
    config = metric["config"]
    if config.get("type", "").endswith("ValueDrift"):
        method = config["method"]
        threshold = config["threshold"]
        value = float(metric["value"])
        if "K-S" in method:
            drifted = value <= threshold
        elif "p_value" in method:
            drifted = value < threshold
        else:
            drifted = value >= threshold
        print(f"column.{config['column']}={method}|{value!r}|{int(drifted)}")
    elif config.get("type", "").endswith("DriftedColumnsCount"):
        print(f"drifted_share={metric['value']['share']}")
        print(f"dataset_drift={int(metric['value']['share'] >= config['drift_share'])}")
try:
    snapshot.save_html(html_out)
    import os
    print(f"html_bytes={os.path.getsize(html_out)}")
except Exception as e:
    print(f"html_error={type(e).__name__}: {e}")
