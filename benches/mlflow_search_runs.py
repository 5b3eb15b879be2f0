"""MLflow's side of `shelfcast bench store`: the query MLflow's UI runs for its runs table,
`search_runs` with a filter and an order, on an MLflow tracking store (SQLite, `--db`, or a
PostgreSQL backend store, `--backend-uri postgresql://…`, which needs psycopg) holding the same
number of runs as Shelfcast's (each with 12 params, 4 final metrics and 2 tags, like Shelfcast's
synthetic runs; the long curves are left out, which only makes MLflow's store smaller).

Prints key=value lines, or a line starting with SKIP and the reason when mlflow is not installed
(`pip install mlflow`).
"""

import argparse
import sys
import time

FILTER = (
    "metrics.rmse < 900 and params.model = 'gbdt' and tags.team = 'fresh' "
    "and attributes.status = 'FINISHED'"
)
PAGE = 100  # the MLflow UI's page of runs


def main() -> int:
    parser = argparse.ArgumentParser()
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--db")
    where.add_argument("--backend-uri")
    parser.add_argument("--runs", type=int, default=10_000)
    args = parser.parse_args()
    try:
        import mlflow
        from mlflow.entities import Metric, Param, RunTag
        from mlflow.tracking import MlflowClient
    except ImportError as error:
        print(f"SKIP mlflow is not installed ({error}); pip install mlflow")
        return 0

    if args.backend_uri:
        # MLflow's SQLAlchemy store needs a PostgreSQL driver (MLflow 3 asks for psycopg 3).
        try:
            import psycopg  # noqa: F401
        except ImportError:
            try:
                import psycopg2  # noqa: F401
            except ImportError as error:
                print(f"SKIP no PostgreSQL driver for MLflow ({error}); pip install 'psycopg[binary]'")
                return 0
        uri = args.backend_uri
    else:
        uri = f"sqlite:///{args.db}"
    client = MlflowClient(tracking_uri=uri)
    experiments = [client.create_experiment(f"experiment-{e}") for e in range(5)]
    models = ["gbdt", "ridge", "random_forest", "lasso"]
    teams = ["fresh", "ambient", "frozen"]
    started = time.perf_counter()
    for i in range(args.runs):
        run = client.create_run(experiments[i % 5], run_name=f"run-{i:05}")
        quality = 500.0 + (i * 7919) % 1000
        params = {
            "model": models[i % 4],
            "target": "units_sold",
            "split": "time:week_start:26",
            "seed": str(i % 7),
            "model.rounds": str(100 + (i % 10) * 50),
            "model.learning_rate": f"{0.02 + (i % 9) * 0.01:.3f}",
            "model.max_depth": str(3 + i % 6),
            "model.subsample": "0.8",
            "model.lambda": "1",
            "model.objective": "poisson",
            "features": "week_start,store_id,item_id,price,promo",
            "train_rows": "130000",
        }
        metrics = {"rmse": quality, "mae": quality * 0.8, "r2": 1 - quality / 2000, "wape": quality / 20}
        client.log_batch(
            run.info.run_id,
            metrics=[Metric(k, v, 1_700_000_000_000, 0) for k, v in metrics.items()],
            params=[Param(k, v) for k, v in params.items()],
            tags=[RunTag("team", teams[i % 3]), RunTag("launched_from", "bench")],
        )
        status = "FAILED" if i % 20 == 0 else "KILLED" if i % 20 == 1 else "FINISHED"
        client.set_terminated(run.info.run_id, status=status)
    print(f"built_s={time.perf_counter() - started:.1f}")

    def search(max_results):
        return client.search_runs(
            experiments,
            filter_string=FILTER,
            order_by=["metrics.rmse ASC"],
            max_results=max_results,
        )

    timings = []
    for _ in range(3):
        start = time.perf_counter()
        page = search(PAGE)
        timings.append(time.perf_counter() - start)
    timings.sort()
    all_timings = []
    matched = 0
    for _ in range(3):
        start = time.perf_counter()
        matched = len(search(50_000))
        all_timings.append(time.perf_counter() - start)
    all_timings.sort()
    print(f"mlflow_version={mlflow.__version__}")
    print(f"runs={args.runs}")
    print(f"page={PAGE}")
    print(f"page_ms={timings[1] * 1000:.1f}")
    print(f"all_ms={all_timings[1] * 1000:.1f}")
    print(f"matched={matched}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
