#!/usr/bin/python3
"""Peak and idle memory of `colorize serve` under concurrent uploads, and peak memory of the `colorize` command.

Measures what issue 15 §3 asks: N concurrent uploads of one image to a local server (peak RSS, and how soon the idle
server is back within 1.5x its start-up RSS), and the command line's peak RSS and wall time on one image. The server
listens on 127.0.0.1 only, with a scratch COLORIZE_HOME; every upload is a curl with --max-time; the server is stopped
(SIGINT, as Ctrl+C) at the end, and killed only if it does not stop within 20 s.

Usage (after `dotnet build -c Release host-adapters/Colorize.Host`):
  /usr/bin/python3 tests/Colorize.Benchmarks/e2e/memory.py images --dir /tmp/czimg   # the test images, once (~400 MB)
  /usr/bin/python3 tests/Colorize.Benchmarks/e2e/memory.py serve --image /tmp/czimg/rgb49.jpg --concurrent 6
  /usr/bin/python3 tests/Colorize.Benchmarks/e2e/memory.py cli --image /tmp/czimg/rgb256.png --out /tmp/czimg/out.png
Options: --app <folder with colorize.dll> (default: the Release build output); serve: --idle-seconds 40,
--max-time 900, --server-arg (repeatable, e.g. --server-arg=--threads --server-arg=2).
Peak RSS is the kernel's high-water mark (VmHWM, or /usr/bin/time -v's "Maximum resident set size"): the load of
the machine does not change it, but it does change every time printed here, so the load average is printed too.
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
DEFAULT_APP = os.path.join(REPO, "host-adapters", "Colorize.Host", "bin", "Release", "net10.0")
MAX_CONCURRENT = 16


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def status_kb(pid, field):
    """A field of /proc/<pid>/status in kB, or None once the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def mb(kb):
    return "-" if kb is None else f"{kb / 1024:.0f} MB"


def serve(args):
    app = os.path.join(args.app, "colorize.dll")
    home = tempfile.mkdtemp(prefix="colorize-memory-")
    env = dict(os.environ, COLORIZE_HOME=home, DOTNET_CLI_TELEMETRY_OPTOUT="1")
    cmd = ["dotnet", app, "serve", "--host", "127.0.0.1", "--port", "0"] + args.server_arg
    server = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        url = None
        deadline = time.time() + 120
        while time.time() < deadline:
            line = server.stdout.readline()
            if not line:
                break
            m = re.search(r"listening on (http://127\.0\.0\.1:\d+/)", line)
            if m:
                url = m.group(1)
                break
        if url is None:
            sys.exit("the server did not start: " + " ".join(cmd))
        # Keep draining the server's output so it never blocks on a full pipe.
        log = []
        threading.Thread(target=lambda: [log.append(l) for l in server.stdout], daemon=True).start()
        subprocess.run(["curl", "-s", "-o", "/dev/null", "--max-time", "30", url + "api/info"], check=False)
        time.sleep(2)
        startup = status_kb(server.pid, "VmRSS")
        print(f"server pid {server.pid} at {url}; start-up RSS {mb(startup)}; load {load()}")

        peak_sampled = [0]
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                rss = status_kb(server.pid, "VmRSS")
                if rss:
                    peak_sampled[0] = max(peak_sampled[0], rss)
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        n = min(args.concurrent, MAX_CONCURRENT)
        t0 = time.time()
        uploads = [subprocess.Popen(
            ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{time_total}", "--max-time", str(args.max_time),
             "-F", f"file=@{args.image}", url + "api/colorize"],
            stdout=subprocess.PIPE, text=True) for _ in range(n)]
        answers = [u.communicate()[0].strip() for u in uploads]
        busy = time.time() - t0
        stop.set()
        sampler.join()
        peak = status_kb(server.pid, "VmHWM")
        end = status_kb(server.pid, "VmRSS")
        print(f"{n} concurrent uploads of {args.image} ({os.path.getsize(args.image) / 1e6:.1f} MB): "
              f"answers {', '.join(a.split()[0] for a in answers)}; all done after {busy:.1f} s; load {load()}")
        print(f"peak RSS {mb(peak)} (VmHWM; sampled {mb(peak_sampled[0])}); RSS when the last answer came {mb(end)}")

        back_after = None
        t1 = time.time()
        trace = []
        while time.time() - t1 < args.idle_seconds:
            rss = status_kb(server.pid, "VmRSS")
            trace.append((time.time() - t1, rss))
            if back_after is None and rss is not None and startup and rss <= 1.5 * startup:
                back_after = time.time() - t1
            time.sleep(0.5)
        wanted = [w for w in (1, 2, 5, 10, 20, 40) if w < args.idle_seconds] + [args.idle_seconds]
        marks = [f"+{t:.0f}s {mb(r)}" for t, r in (min(trace, key=lambda s, w=w: abs(s[0] - w)) for w in wanted)]
        print("idle RSS: " + ", ".join(marks))
        print("back within 1.5x start-up RSS "
              + (f"{back_after:.1f} s after the last answer" if back_after is not None else f"not within {args.idle_seconds} s"))
        print(f"summary: uploads={n} startup={mb(startup)} peak={mb(peak)} idle_end={mb(trace[-1][1] if trace else None)} "
              f"back_within_1.5x={'%.1f s' % back_after if back_after is not None else 'no'} busy={busy:.1f}s")
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        shutil.rmtree(home, ignore_errors=True)


def cli(args):
    app = os.path.join(args.app, "colorize.dll")
    home = tempfile.mkdtemp(prefix="colorize-memory-")
    env = dict(os.environ, COLORIZE_HOME=home, DOTNET_CLI_TELEMETRY_OPTOUT="1")
    cmd = ["/usr/bin/time", "-v", "dotnet", app, args.image, "-o", args.out, "--overwrite"] + args.cli_arg
    print(f"load {load()}: " + " ".join(cmd))
    try:
        run = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=args.max_time)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    report = run.stderr
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report)
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", report)
    user = re.search(r"User time \(seconds\): (\S+)", report)
    system = re.search(r"System time \(seconds\): (\S+)", report)
    print(run.stdout.strip())
    if run.returncode != 0:
        print(report)
        sys.exit(f"colorize exited with {run.returncode}")
    print(f"summary: image={args.image} peak={mb(int(peak.group(1)))} wall={wall.group(1)} "
          f"cpu={float(user.group(1)) + float(system.group(1)):.1f}s load_after={load()}")


def images(args):
    """The test images, from samples/picos-de-europa-bw.jpg: 49 MP (8575x5714) RGB and gray JPEG q90 and RGB PNG,
    and 256 MP (16000x16000, just under the 268 MP limit) gray and RGB PNG with Gaussian noise (sigma 3) so that the
    files are photo-sized rather than compressing to nothing."""
    import numpy as np
    from PIL import Image

    os.makedirs(args.dir, exist_ok=True)
    src = Image.open(os.path.join(REPO, "samples", "picos-de-europa-bw.jpg")).convert("L")
    gray49 = src.resize((8575, 5714), Image.BICUBIC)
    gray49.save(os.path.join(args.dir, "gray49.jpg"), quality=90)
    rgb49 = gray49.convert("RGB")
    rgb49.save(os.path.join(args.dir, "rgb49.jpg"), quality=90)
    rgb49.save(os.path.join(args.dir, "rgb49.png"), compress_level=6)
    del gray49, rgb49
    smooth = np.asarray(src.resize((16000, 16000), Image.BICUBIC))
    rng = np.random.default_rng(1)
    noisy = np.empty_like(smooth)
    for y in range(0, smooth.shape[0], 1000):
        rows = smooth[y:y + 1000].astype(np.float32) + rng.normal(0, 3, smooth[y:y + 1000].shape).astype(np.float32)
        noisy[y:y + 1000] = np.clip(rows, 0, 255).astype(np.uint8)
    del smooth
    gray256 = Image.fromarray(noisy, "L")
    gray256.save(os.path.join(args.dir, "gray256.png"), compress_level=6)
    gray256.convert("RGB").save(os.path.join(args.dir, "rgb256.png"), compress_level=6)
    for name in sorted(os.listdir(args.dir)):
        print(f"{os.path.join(args.dir, name)}: {os.path.getsize(os.path.join(args.dir, name)) / 1e6:.1f} MB")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--app", default=DEFAULT_APP, help="folder with colorize.dll")
    sub = ap.add_subparsers(dest="what", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--image", required=True)
    s.add_argument("--concurrent", type=int, default=6)
    s.add_argument("--idle-seconds", type=float, default=40)
    s.add_argument("--max-time", type=int, default=900)
    s.add_argument("--server-arg", action="append", default=[])
    c = sub.add_parser("cli")
    c.add_argument("--image", required=True)
    c.add_argument("--out", required=True)
    c.add_argument("--max-time", type=int, default=1800)
    c.add_argument("--cli-arg", action="append", default=[])
    i = sub.add_parser("images")
    i.add_argument("--dir", default="/tmp/czimg")
    args = ap.parse_args()
    {"serve": serve, "cli": cli, "images": images}[args.what](args)


if __name__ == "__main__":
    main()
