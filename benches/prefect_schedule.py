"""Prefect's side of `shelfcast bench daemon`: a local Prefect server and a served flow per
schedule on the same interval (every second), for the same time. Prints key=value lines: how late
each flow run started after its expected start (p50, p99, max, in ms), how many started, and the
resident memory of the server's and the serving process's trees; or a line starting with SKIP and
the reason when prefect is not installed (`pip install prefect`).
"""

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

FLOW = """
from prefect import flow, serve

@flow
def tick():
    return None

if __name__ == "__main__":
    import sys
    n = int(sys.argv[1])
    serve(*[tick.to_deployment(name=f"bench{i}", interval=1) for i in range(n)])
"""


def descendants(pid):
    """`pid` and every process below it."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
        except (OSError, ValueError, IndexError):
            continue
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(children.get(p, []))
    return found


def with_home(home):
    """The processes whose environment names `home` as PREFECT_HOME."""
    needle = f"PREFECT_HOME={home}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                if needle in f.read().split(b"\0"):
                    found.append(int(entry))
        except OSError:
            continue
    return found


def tree_rss_mb(pid):
    """Resident MB of `pid` and every process below it."""
    total = 0.0
    for p in descendants(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) / 1024.0
        except OSError:
            pass
    return total


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, required=True)
    parser.add_argument("--schedules", type=int, required=True)
    parser.add_argument("--port", type=int, default=4299)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="prefect-bench-")
    env = dict(os.environ, PREFECT_HOME=home,
               PREFECT_API_URL=f"http://127.0.0.1:{args.port}/api",
               PREFECT_SERVER_ANALYTICS_ENABLED="false")
    # Prefect reads its settings when imported: the client must talk to this server, not start
    # an ephemeral one.
    os.environ.update(env)
    try:
        import prefect
        from prefect.client.orchestration import get_client
    except ImportError as error:
        print(f"SKIP {error}; pip install prefect")
        return 0
    log = open(os.path.join(home, "server.log"), "w")
    server = subprocess.Popen(
        ["prefect", "server", "start", "--host", "127.0.0.1", "--port", str(args.port)],
        env=env, stdout=log, stderr=log)
    served = None
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{args.port}/api/health", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        else:
            print("SKIP the Prefect server did not answer within 60 s")
            return 0
        flow_path = os.path.join(home, "flow.py")
        with open(flow_path, "w") as f:
            f.write(FLOW)
        served = subprocess.Popen([sys.executable, flow_path, str(args.schedules)], env=env,
                                  stdout=log, stderr=log)
        time.sleep(args.seconds)
        server_mb, served_mb = tree_rss_mb(server.pid), tree_rss_mb(served.pid)

        async def lateness():
            runs = []
            async with get_client() as client:
                while True:
                    page = await client.read_flow_runs(limit=200, offset=len(runs))
                    runs.extend(page)
                    if len(page) < 200:
                        break
            late = sorted((r.start_time - r.expected_start_time).total_seconds() * 1000
                          for r in runs if r.start_time and r.expected_start_time)
            return len(runs), late

        scheduled, late = asyncio.run(lateness())
        pick = lambda q: late[int(round((len(late) - 1) * q))] if late else float("nan")
        print(f"prefect_version={prefect.__version__}")
        print(f"runs_created={scheduled}")
        print(f"runs_started={len(late)}")
        print(f"late_p50_ms={pick(0.5):.0f}")
        print(f"late_p99_ms={pick(0.99):.0f}")
        print(f"late_max_ms={late[-1] if late else float('nan'):.0f}")
        print(f"server_mb={server_mb:.1f}")
        print(f"served_mb={served_mb:.1f}")
        return 0
    finally:
        # The runner starts each flow run in a process of its own: every one of them goes too.
        everyone = [p for top in (served, server) if top is not None for p in descendants(top.pid)]
        for pid in reversed(everyone):
            try:
                os.kill(pid, 15)
            except OSError:
                pass
        for process in (served, server):
            if process is not None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
        # Flow runs started while the rest went down are found by the PREFECT_HOME they carry.
        for _ in range(3):
            strays = [p for p in with_home(home) if p != os.getpid()]
            for pid in strays:
                try:
                    os.kill(pid, 9)
                except OSError:
                    pass
            if not strays:
                break
            time.sleep(0.5)


if __name__ == "__main__":
    sys.exit(main())
