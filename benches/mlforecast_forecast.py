"""mlforecast's side of `shelfcast bench forecast`: store-item demand (500 daily series), the last
`--horizon` days held out, LightGBM on the same lags, rolling means and date features that
Shelfcast uses, forecast recursively over the horizon (mlforecast's `predict`), the same rounds,
depth, learning rate, L2 penalty and threads.

Fit time includes reading the CSV and building the features, as Shelfcast's does. Prints
key=value lines (fit_seconds, forecast_seconds, wape, smape, rmse, seasonal_naive_*), or a line
starting with SKIP and the reason when mlforecast or lightgbm is missing:
`pip install mlforecast lightgbm`.
"""

import argparse
import sys
import time


def scores(actual, predicted, np):
    error = np.abs(actual - predicted)
    wape = 100.0 * error.sum() / np.abs(actual).sum()
    denominator = np.abs(actual) + np.abs(predicted)
    keep = denominator > 0
    smape = 100.0 * np.mean(2.0 * error[keep] / denominator[keep])
    rmse = float(np.sqrt(np.mean((actual - predicted) ** 2)))
    return wape, smape, rmse


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--horizon", type=int, required=True)
    parser.add_argument("--rounds", type=int, required=True)
    parser.add_argument("--learning-rate", type=float, required=True)
    parser.add_argument("--max-depth", type=int, required=True)
    parser.add_argument("--threads", type=int, required=True)
    args = parser.parse_args()
    try:
        import lightgbm as lgb
        import mlforecast
        import numpy as np
        import pandas as pd
        from mlforecast import MLForecast
        from mlforecast.lag_transforms import RollingMean
    except ImportError as error:
        print(f"SKIP {error}; pip install mlforecast lightgbm")
        return 0

    def week(dates):
        return dates.isocalendar().week.astype("int64").to_numpy()

    start = time.perf_counter()
    frame = pd.read_csv(args.data, parse_dates=["date"])
    frame["unique_id"] = frame["store"].astype(str) + "_" + frame["item"].astype(str)
    frame = frame.rename(columns={"date": "ds", "sales": "y"})
    frame["y"] = frame["y"].astype("float64")
    dates = np.sort(frame["ds"].unique())
    cutoff = dates[-args.horizon - 1]
    train = frame[frame["ds"] <= cutoff]
    test = frame[frame["ds"] > cutoff]
    model = lgb.LGBMRegressor(
        n_estimators=args.rounds,
        learning_rate=args.learning_rate,
        max_depth=args.max_depth,
        num_leaves=2**args.max_depth,
        reg_lambda=1.0,
        min_child_weight=1.0,
        min_child_samples=1,
        max_bin=256,
        n_jobs=args.threads,
        deterministic=True,
        random_state=42,
        verbose=-1,
    )
    forecaster = MLForecast(
        models={"lgbm": model},
        freq="D",
        lags=[1, 7, 14, 28, 364],
        lag_transforms={1: [RollingMean(window_size=7, min_samples=1),
                            RollingMean(window_size=28, min_samples=1)]},
        date_features=["year", "month", week, "dayofweek", "dayofyear"],
        num_threads=args.threads,
    )
    forecaster.fit(
        train[["unique_id", "ds", "y", "store", "item"]],
        static_features=["store", "item"],
        dropna=False,
    )
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    predicted = forecaster.predict(args.horizon)
    forecast_seconds = time.perf_counter() - start

    joined = test.merge(predicted, on=["unique_id", "ds"], how="left")
    actual = joined["y"].to_numpy()
    forecast = joined["lgbm"].to_numpy()
    wape, smape, rmse = scores(actual, forecast, np)
    # Seasonal naive (statsforecast's SeasonalNaive, season 7): the last week repeated.
    last_week = train[train["ds"] > dates[-args.horizon - 8]].copy()
    last_week["dow"] = last_week["ds"].dt.dayofweek
    test_dow = test.assign(dow=test["ds"].dt.dayofweek)
    naive = test_dow.merge(last_week[["unique_id", "dow", "y"]], on=["unique_id", "dow"],
                           suffixes=("", "_naive"))
    n_wape, n_smape, n_rmse = scores(naive["y"].to_numpy(), naive["y_naive"].to_numpy(), np)
    print(f"mlforecast_version={mlforecast.__version__}")
    print(f"lightgbm_version={lgb.__version__}")
    print(f"rows={len(joined)}")
    print(f"fit_seconds={fit_seconds:.3f}")
    print(f"forecast_seconds={forecast_seconds:.3f}")
    print(f"wape={wape:.4f}")
    print(f"smape={smape:.4f}")
    print(f"rmse={rmse:.4f}")
    print(f"seasonal_naive_wape={n_wape:.4f}")
    print(f"seasonal_naive_smape={n_smape:.4f}")
    print(f"seasonal_naive_rmse={n_rmse:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
