"""Optuna + LightGBM: the anchor of `shelfcast bench tune`'s real study.

Usage: optuna_lightgbm.py --matrix M.parquet --trials N --rounds R --early-stopping E --threads T
Loads the encoded matrix Shelfcast exported (features, label, is_valid), builds LightGBM's
datasets once, and runs N trials of Optuna's TPE (its defaults, seed 42) over num_leaves
15..255, learning_rate 0.01..0.3 (log), min_data_in_leaf 5..100 and feature_fraction 0.5..1,
each R rounds with early stopping after E on the validation rows, T threads, L2 objective.
Prints key=value lines (wall_seconds from the load to the study's end, best_rmse, trials), or
SKIP and the reason when optuna or lightgbm is not installed.
"""
import argparse
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--matrix", required=True)
    parser.add_argument("--trials", type=int, required=True)
    parser.add_argument("--rounds", type=int, required=True)
    parser.add_argument("--early-stopping", type=int, required=True)
    parser.add_argument("--threads", type=int, required=True)
    args = parser.parse_args()
    try:
        import lightgbm as lgb
        import numpy as np
        import optuna
        import pandas as pd
    except ImportError as error:
        print(f"SKIP {error}; pip install optuna lightgbm pandas pyarrow")
        return 0
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    started = time.perf_counter()
    frame = pd.read_parquet(args.matrix)
    valid_mask = frame.pop("is_valid").to_numpy().astype(bool)
    label = frame.pop("label").to_numpy()
    features = frame.to_numpy(dtype=np.float32)
    # feature_pre_filter off: min_data_in_leaf changes from trial to trial on one dataset.
    train_set = lgb.Dataset(
        features[~valid_mask],
        label=label[~valid_mask],
        params={"feature_pre_filter": False, "max_bin": 255, "verbose": -1},
        free_raw_data=False,
    )
    valid_set = lgb.Dataset(features[valid_mask], label=label[valid_mask], reference=train_set)

    def objective(trial):
        params = {
            "objective": "regression",
            "metric": "rmse",
            "num_leaves": trial.suggest_int("num_leaves", 15, 255),
            "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.3, log=True),
            "min_data_in_leaf": trial.suggest_int("min_data_in_leaf", 5, 100),
            "feature_fraction": trial.suggest_float("feature_fraction", 0.5, 1.0),
            "num_threads": args.threads,
            "verbose": -1,
            "seed": 42,
        }
        booster = lgb.train(
            params,
            train_set,
            num_boost_round=args.rounds,
            valid_sets=[valid_set],
            valid_names=["valid"],
            callbacks=[lgb.early_stopping(args.early_stopping, verbose=False)],
        )
        return booster.best_score["valid"]["rmse"]

    study = optuna.create_study(
        direction="minimize", sampler=optuna.samplers.TPESampler(seed=42)
    )
    study.optimize(objective, n_trials=args.trials)
    wall = time.perf_counter() - started
    print(f"optuna_version={optuna.__version__}")
    print(f"lightgbm_version={lgb.__version__}")
    print(f"wall_seconds={wall:.3f}")
    print(f"best_rmse={study.best_value:.6f}")
    print(f"trials={len(study.trials)}")
    print(f"best_params={study.best_params}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
