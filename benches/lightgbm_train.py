"""LightGBM's side of `shelfcast bench train`: the identical feature matrix and split that Shelfcast
exported, trained with the same rounds, depth, learning rate, L2 penalty and thread count, with
the training and validation loss evaluated every round as Shelfcast's worker does.

Prints key=value lines (fit_seconds, rmse or auc / pr_auc / log_loss, peak_mb), or a line
starting with SKIP and the reason when lightgbm (or pandas / pyarrow) is not installed:
`pip install lightgbm pandas pyarrow`.
"""

import argparse
import resource
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--matrix", required=True, help="Parquet: features, label, is_valid")
    parser.add_argument("--task", choices=["regression", "binary"], required=True)
    parser.add_argument("--objective", default="regression")
    parser.add_argument("--rounds", type=int, required=True)
    parser.add_argument("--learning-rate", type=float, required=True)
    parser.add_argument("--max-depth", type=int, required=True)
    parser.add_argument("--lambda-l2", type=float, required=True)
    parser.add_argument("--min-child-weight", type=float, required=True)
    parser.add_argument("--threads", type=int, required=True)
    args = parser.parse_args()
    try:
        import lightgbm as lgb
        import numpy as np
        import pandas as pd
    except ImportError as error:
        print(f"SKIP {error}; pip install lightgbm pandas pyarrow")
        return 0

    frame = pd.read_parquet(args.matrix)
    valid_mask = frame.pop("is_valid").to_numpy().astype(bool)
    label = frame.pop("label").to_numpy()
    features = frame.to_numpy(dtype=np.float32)
    train_x, train_y = features[~valid_mask], label[~valid_mask]
    valid_x, valid_y = features[valid_mask], label[valid_mask]

    params = {
        "objective": args.objective,
        "learning_rate": args.learning_rate,
        # Depth-wise trees of the same depth: every leaf a depth-limited tree can have.
        "max_depth": args.max_depth,
        "num_leaves": 2 ** args.max_depth,
        "lambda_l2": args.lambda_l2,
        "min_sum_hessian_in_leaf": args.min_child_weight,
        "min_data_in_leaf": 1,
        "num_threads": args.threads,
        "max_bin": 256,
        "verbose": -1,
        "deterministic": True,
        "seed": 42,
    }
    start = time.perf_counter()
    train_set = lgb.Dataset(train_x, label=train_y, free_raw_data=False)
    valid_set = lgb.Dataset(valid_x, label=valid_y, reference=train_set)
    booster = lgb.train(
        params,
        train_set,
        num_boost_round=args.rounds,
        valid_sets=[train_set, valid_set],
        valid_names=["train", "valid"],
    )
    fit_seconds = time.perf_counter() - start
    predicted = booster.predict(valid_x, num_threads=args.threads)
    print(f"lightgbm_version={lgb.__version__}")
    print(f"fit_seconds={fit_seconds:.3f}")
    if args.task == "regression":
        rmse = float(np.sqrt(np.mean((predicted - valid_y) ** 2)))
        print(f"rmse={rmse:.6f}")
    else:
        from sklearn.metrics import average_precision_score, log_loss, roc_auc_score

        print(f"auc={roc_auc_score(valid_y, predicted):.6f}")
        print(f"pr_auc={average_precision_score(valid_y, predicted):.6f}")
        print(f"log_loss={log_loss(valid_y, predicted):.6f}")
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak_mb={peak_kb / 1024:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
