"""timed.py --limit SECONDS -- command...: runs the command, prints its
stderr, then "exit status N after S s". Fails when the command succeeded,
or took longer than the limit (killing it): a failure must stop every rank
promptly."""
import subprocess
import sys
import time

limit = float(sys.argv[sys.argv.index("--limit") + 1])
command = sys.argv[sys.argv.index("--") + 1:]
start = time.monotonic()
try:
    done = subprocess.run(command, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, timeout=limit)
except subprocess.TimeoutExpired as e:
    sys.stdout.write((e.stderr or b"").decode(errors="replace"))
    print(f"timed.py: still running after {limit} s: it hangs")
    sys.exit(1)
seconds = time.monotonic() - start
sys.stdout.write(done.stderr.decode(errors="replace"))
print(f"exit status {done.returncode} after {seconds:.1f} s")
sys.exit(0 if done.returncode != 0 else 1)
