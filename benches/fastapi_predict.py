"""FastAPI's side of `shelfcast bench serve`: the usual Python serving stack for the same sample
model — a pydantic-validated `POST /predict` taking one sales record, a scikit-learn pipeline
(one-hot categories, date parts, gradient boosting with a Poisson loss, 100 iterations) trained on
the same `sales_weekly.csv`, served by uvicorn with one worker on the given port.

Prints `listening port=N` once it answers, or a line starting with SKIP and the reason when
fastapi, uvicorn, pandas or scikit-learn is not installed (`pip install fastapi uvicorn pandas
scikit-learn`). Runs until killed.
"""

import argparse
import sys


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    try:
        import pandas as pd
        import uvicorn
        from fastapi import FastAPI
        from pydantic import BaseModel
        from sklearn.compose import ColumnTransformer
        from sklearn.ensemble import HistGradientBoostingRegressor
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import OneHotEncoder
    except ImportError as error:
        print(f"SKIP {error}; pip install fastapi uvicorn pandas scikit-learn", flush=True)
        return 0

    categories = ["store_id", "region", "item_id", "category"]
    numbers = ["regular_price", "price", "promo", "promo_depth_pct", "display", "holiday"]

    def frame(rows: pd.DataFrame) -> pd.DataFrame:
        dates = pd.to_datetime(rows["week_start"])
        out = rows[categories + numbers].copy()
        out["year"] = dates.dt.year
        out["month"] = dates.dt.month
        out["week"] = dates.dt.isocalendar().week.astype(int)
        return out

    data = pd.read_csv(args.data)
    pipeline = make_pipeline(
        ColumnTransformer(
            [("categories", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categories)],
            remainder="passthrough",
        ),
        HistGradientBoostingRegressor(loss="poisson", max_iter=100, max_depth=6),
    )
    pipeline.fit(frame(data), data["units_sold"])

    class Record(BaseModel):
        week_start: str
        store_id: str
        region: str
        item_id: str
        category: str
        regular_price: float
        price: float
        promo: int
        promo_depth_pct: float
        display: int
        holiday: int

    app = FastAPI()

    @app.post("/predict")
    def predict(record: Record):
        row = frame(pd.DataFrame([record.model_dump()]))
        return {"prediction": {"value": float(pipeline.predict(row)[0])}}

    @app.on_event("startup")
    def ready():
        print(f"listening port={args.port}", flush=True)

    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", workers=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
