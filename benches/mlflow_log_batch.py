"""MLflow's side of `shelfcast bench metrics`: log_batch into MLflow's SQLite tracking store.

Prints `points_per_s=N`, or a line starting with SKIP and the reason when mlflow is not installed
(`pip install mlflow`). The store is created and migrated before the clock starts, as Shelfcast's is.
"""

import argparse
import sys
import time

KEYS = ["train_loss", "val_loss", "val_rmse", "learning_rate"]
MLFLOW_MAX_BATCH = 1000  # MLflow refuses larger log_batch calls


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--points", type=int, default=50_000)
    args = parser.parse_args()
    try:
        from mlflow.entities import Metric
        from mlflow.tracking import MlflowClient
    except ImportError as error:
        print(f"SKIP mlflow is not installed ({error}); pip install mlflow")
        return 0

    client = MlflowClient(tracking_uri=f"sqlite:///{args.db}")
    experiment = client.create_experiment("bench")
    run_id = client.create_run(experiment).info.run_id
    batches = [
        [
            Metric(KEYS[i % 4], 1.0 / (i + 1), 1_700_000_000_000 + i, i // 4)
            for i in range(start, min(args.points, start + MLFLOW_MAX_BATCH))
        ]
        for start in range(0, args.points, MLFLOW_MAX_BATCH)
    ]
    start = time.perf_counter()
    for batch in batches:
        client.log_batch(run_id, metrics=batch)
    elapsed = time.perf_counter() - start
    print(f"points={args.points} seconds={elapsed:.3f}")
    print(f"points_per_s={args.points / elapsed:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
