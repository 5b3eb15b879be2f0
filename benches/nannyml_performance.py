"""NannyML's realized performance on the same predictions and actuals: the anchor of
`shelfcast bench monitor`.

Usage: nannyml_performance.py REFERENCE_CSV ANALYSIS_CSV
(each with columns date, predicted, actual; the reference is the model's validation rows, the
analysis the forecasts that have their actuals). Chunks by calendar week (pandas' W: Monday to
Sunday), the realized MAE and RMSE per chunk and their thresholds (NannyML's default, the
reference chunks' mean ± 3 standard deviations). Prints key=value lines; SKIP when NannyML does
not import (it pins its own pandas and scikit-learn: use a virtualenv and
SHELFCAST_NANNYML_PYTHON=/path/to/venv/bin/python).
"""
import sys
import time

try:
    import pandas as pd
    import nannyml as nml
except Exception as e:
    print(f"SKIP nannyml is not importable here ({type(e).__name__}: {e}); pip install nannyml "
          "in a virtualenv and set SHELFCAST_NANNYML_PYTHON to its python")
    sys.exit(0)

reference_path, analysis_path = sys.argv[1:3]


def read(path):
    frame = pd.read_csv(path, parse_dates=["date"])
    return frame.rename(columns={"date": "timestamp", "predicted": "y_pred", "actual": "y_true"})


reference = read(reference_path)
analysis = read(analysis_path)
started = time.perf_counter()
calculator = nml.PerformanceCalculator(
    y_pred="y_pred",
    y_true="y_true",
    timestamp_column_name="timestamp",
    problem_type="regression",
    metrics=["mae", "rmse"],
    chunk_period="W",
)
calculator.fit(reference)
results = calculator.calculate(analysis).filter(period="analysis").to_df()
seconds = time.perf_counter() - started

print(f"nannyml_version={nml.__version__}")
print(f"seconds={seconds:.6f}")
print(f"chunks={len(results)}")
for _, row in results.iterrows():
    start = pd.Timestamp(row[("chunk", "start_date")]).strftime("%Y-%m-%d")
    for metric in ("mae", "rmse"):
        print(f"{metric}.{start}={row[(metric, 'value')]:.12f}")
        print(f"{metric}_upper.{start}={row[(metric, 'upper_threshold')]:.12f}")
        print(f"{metric}_lower.{start}={row[(metric, 'lower_threshold')]:.12f}")
