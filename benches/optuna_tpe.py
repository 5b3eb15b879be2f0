"""Optuna's bookkeeping per trial: the anchor of `shelfcast bench tune`.

Usage: optuna_tpe.py TRIALS SQLITE_PATH
Runs TRIALS trials of a trivial objective ((x - 2)^2 + (y + 1)^2 over x, y in [-10, 10]) with
the TPE sampler (Optuna's defaults), once with in-memory storage and once with SQLite storage
at SQLITE_PATH, and prints the milliseconds per trial of each as key=value lines; SKIP when
optuna is not installed.
"""
import os
import sys
import time

try:
    import optuna
except Exception as e:
    print(f"SKIP optuna is not importable here ({type(e).__name__}: {e}); pip install optuna")
    sys.exit(0)

optuna.logging.set_verbosity(optuna.logging.WARNING)
trials = int(sys.argv[1])
sqlite_path = sys.argv[2]


def objective(trial):
    x = trial.suggest_float("x", -10, 10)
    y = trial.suggest_float("y", -10, 10)
    return (x - 2) ** 2 + (y + 1) ** 2


def run(storage):
    study = optuna.create_study(
        storage=storage, sampler=optuna.samplers.TPESampler(seed=1), direction="minimize"
    )
    started = time.perf_counter()
    study.optimize(objective, n_trials=trials)
    seconds = time.perf_counter() - started
    return seconds, study.best_value


print(f"optuna_version={optuna.__version__}")
seconds, best = run(None)
print(f"memory_ms_per_trial={1000 * seconds / trials:.4f}")
print(f"memory_best={best:.6g}")
if os.path.exists(sqlite_path):
    os.remove(sqlite_path)
seconds, best = run(f"sqlite:///{sqlite_path}")
print(f"sqlite_ms_per_trial={1000 * seconds / trials:.4f}")
print(f"sqlite_best={best:.6g}")
