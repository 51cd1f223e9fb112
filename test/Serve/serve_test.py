#!/usr/bin/python3
"""End-to-end tests of `xfc serve` over HTTP on loopback.

  identity     8 prompts served concurrently (streamed and not) give the
               tokens `xfc run --temp 0` gives alone, and log-probabilities
               equal to the log-softmax of its logits (1e-4 relative)
  api          streamed == whole, stop strings, chat, models, health
  errors       4xx/5xx with OpenAI error objects; a full queue is 503
  robustness   1,000 malformed requests and clients that leave mid-stream:
               the server stays healthy and its RSS flat (reported)
  shutdown     SIGTERM lets an in-flight stream finish, or cancels it when
               the grace period is over; exit code 0 either way
  openai       the official openai npm client, completions and chat, streamed
               and not (--node-modules)
  api_key      --api-key: 401 without the key, the openai client with it
  gguf         `xfc serve model.gguf` compiles it with a batch row per slot
"""

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_support import Server, compile_model, completion_text  # noqa: E402

PROMPTS = ["Once upon a time", "The capital of", "hello world",
           "A B C D E F G", "In the beginning there was", "Compilers turn",
           "x", "Tell me a story about a cat that"]


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def run_alone(xfc, model, prompt, count, workdir, index):
    """`xfc run --temp 0`: (prompt ids, generated ids, logits rows)."""
    ids_path = os.path.join(workdir, f"ids{index}.txt")
    logits_path = os.path.join(workdir, f"logits{index}.bin")
    subprocess.run([xfc, "run", model, "-p", prompt, "-n", str(count),
                    "--temp", "0", "-t", "1", "--ids-out", ids_path,
                    "--logits-out", logits_path], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(ids_path) as f:
        ids = [int(x) for x in f.read().strip().split(",")]
    logits = np.fromfile(logits_path, dtype=np.float32)
    return ids[:-count], ids[-count:], logits


def test_identity(ctx):
    server, xfc, model = ctx["server"], ctx["xfc"], ctx["model"]
    count, eos = 12, ctx["eos"]
    expected = []
    for i, prompt in enumerate(PROMPTS):
        prompt_ids, generated, logits = run_alone(xfc, model, prompt, count,
                                                  ctx["workdir"], i)
        vocab = logits.size // (len(prompt_ids) + count - 1)
        rows = logits.reshape(-1, vocab)[len(prompt_ids) - 1:].astype(
            np.float64)
        logsoftmax = rows - (rows.max(1, keepdims=True) + np.log(np.exp(
            rows - rows.max(1, keepdims=True)).sum(1, keepdims=True)))
        # The server stops at EOS; `xfc run` does not.
        if eos in generated:
            generated = generated[:generated.index(eos)]
        expected.append((prompt_ids, generated, logsoftmax))

    results = [None] * len(PROMPTS)

    def serve(i):
        body = {"model": "m", "prompt": PROMPTS[i], "max_tokens": count,
                "temperature": 0, "logprobs": 5, "return_tokens": True}
        if i % 2:
            body["stream"] = True
            status, events, done = server.stream("/v1/completions", body)
            check(status == 200 and done, f"prompt {i}: stream failed")
            tokens, logprobs = [], []
            for e in events:
                c = e["choices"][0]
                tokens += c.get("tokens", [])
                if c.get("logprobs"):
                    logprobs += c["logprobs"]["token_logprobs"]
        else:
            status, out, _ = server.request("POST", "/v1/completions", body)
            check(status == 200, f"prompt {i}: HTTP {status} {out}")
            c = out["choices"][0]
            tokens, logprobs = c["tokens"], c["logprobs"]["token_logprobs"]
            check(out["usage"]["prompt_tokens"] == len(expected[i][0]),
                  f"prompt {i}: usage {out['usage']}")
        results[i] = (tokens, logprobs)

    threads = [threading.Thread(target=serve, args=(i,))
               for i in range(len(PROMPTS))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    worst = 0.0
    for i, (_, generated, logsoftmax) in enumerate(expected):
        check(results[i] is not None, f"prompt {i}: no result")
        tokens, logprobs = results[i]
        check(tokens == generated,
              f"prompt {i}: served {tokens}, alone {generated}")
        check(len(logprobs) == len(tokens), f"prompt {i}: logprobs count")
        for t, (token, lp) in enumerate(zip(tokens, logprobs)):
            ref = logsoftmax[t, token]
            error = abs(lp - ref) / max(abs(ref), 1e-3)
            worst = max(worst, error)
            check(error <= 1e-4, f"prompt {i} token {t}: logprob {lp}, "
                  f"alone {ref}")
    print(f"  identity: {len(PROMPTS)} concurrent prompts equal `xfc run`; "
          f"worst logprob relative error {worst:.2e}")


def check_stop_tokens(logprobs, ids, text, pieces):
    """The tokens listed for a response cut by a stop string are those whose
    text begins in it: the stop string's own tokens are left out."""
    n = len(logprobs["tokens"])
    check(n == len(ids), f"{n} logprobs but {len(ids)} token ids")
    check(logprobs["tokens"] == pieces[:n],
          f"tokens {logprobs['tokens']} are not the first of {pieces}")
    joined = "".join(logprobs["tokens"])
    check(joined.startswith(text) and
          all(o < len(text) for o in logprobs["text_offset"]) and
          (n == 0 or len(joined) - len(logprobs["tokens"][-1]) < len(text)),
          f"tokens {logprobs['tokens']} for text {text!r}")
    check(n == len(pieces) or len(joined) >= len(text),
          f"tokens {logprobs['tokens']} end before the text {text!r}")


def check_metrics(server, health):
    """/metrics is Prometheus text with the counters /health gives."""
    status, text = server.text("/metrics")
    check(status == 200, f"/metrics: HTTP {status}")
    samples, typed = {}, set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            typed.add(line.split()[2])
        elif line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = int(value)
    check(all(name.split("{")[0] in typed for name in samples),
          f"/metrics: a sample without its # TYPE: {text}")
    pairs = {'xfc_requests_total{result="completed"}': "completed",
             'xfc_requests_total{result="cancelled"}': "cancelled",
             'xfc_prompt_tokens_total{source="prefill"}': "prompt_tokens",
             'xfc_prompt_tokens_total{source="cache"}':
                 "cached_prompt_tokens",
             "xfc_generated_tokens_total": "generated_tokens",
             "xfc_requests_running": "running", "xfc_slots": "slots"}
    for sample, field in pairs.items():
        check(samples.get(sample) == health[field],
              f"/metrics {sample} = {samples.get(sample)}, /health {field} "
              f"= {health[field]}")
    check(samples["xfc_decode_rows_total"] >= samples["xfc_decode_steps_total"]
          > 0, f"/metrics decode counters: {samples}")


def test_api(ctx):
    server = ctx["server"]
    body = {"prompt": PROMPTS[0], "max_tokens": 10, "temperature": 0}
    status, whole, _ = server.request("POST", "/v1/completions", body)
    check(status == 200, f"HTTP {status}")
    check(whole["object"] == "text_completion", whole)
    text = whole["choices"][0]["text"]
    status, events, done = server.stream("/v1/completions",
                                         dict(body, stream=True))
    streamed, finish = completion_text(events)
    check(done and streamed == text, f"streamed {streamed!r} != {text!r}")
    check(finish == whole["choices"][0]["finish_reason"], finish)

    # Prefix cache: the same prompt again is served from the slot that
    # holds it, all but its last token (prefilled again for its logits).
    status, again, _ = server.request("POST", "/v1/completions", body)
    usage = again["usage"]
    check(status == 200 and again["choices"][0]["text"] == text, again)
    check(usage["prompt_tokens_details"]["cached_tokens"] ==
          usage["prompt_tokens"] - 1, f"prefix cache: {usage}")

    # Stop strings: the text ends just before them, streamed or not. One
    # begins inside a token, so that token's text before it is sent once.
    _, out, _ = server.request("POST", "/v1/completions",
                               dict(body, prompt=PROMPTS[2], max_tokens=40,
                                    logprobs=0))
    full = out["choices"][0]["text"]
    pieces = out["choices"][0]["logprobs"]["tokens"]
    stops = [p[1:] for p in pieces[1:] if len(p) >= 2 and p.isascii() and
             p.isprintable()][:1]
    stops += [ch for ch in full[1:] if ch.isascii() and ch.isalnum()][:1]
    # One across two tokens: their tokens' ids and logprobs are not listed.
    stops += [a[-1] + b[0] for a, b in zip(pieces[1:], pieces[2:])
              if (a[-1] + b[0]).isascii() and (a[-1] + b[0]).isprintable()
              and (a[-1] + b[0]).strip() == a[-1] + b[0]][:1]
    check(stops, f"no stop string to try in {full!r}")
    for stop in stops:
        request = dict(body, prompt=PROMPTS[2], max_tokens=40, stop=[stop],
                       logprobs=0, return_tokens=True)
        _, out, _ = server.request("POST", "/v1/completions", request)
        c = out["choices"][0]
        want = full[:full.index(stop)]
        check(c["finish_reason"] == "stop" and c["text"] == want,
              f"stop {stop!r}: {c['text']!r}, want {want!r}")
        check_stop_tokens(c["logprobs"], c["tokens"], want, pieces)
        _, events, done = server.stream("/v1/completions",
                                        dict(request, stream=True))
        streamed, finish = completion_text(events)
        check(done and streamed == want and finish == "stop",
              f"stop {stop!r} streamed: {streamed!r}, want {want!r}")
        merged = {"tokens": [], "text_offset": []}
        ids = []
        for e in events:
            for ch in e.get("choices", []):
                for key in merged:
                    merged[key] += (ch.get("logprobs") or {}).get(key, [])
                ids += ch.get("tokens", [])
        check_stop_tokens(merged, ids, want, pieces)

    # Chat, streamed and not: the first chunk names the role.
    chat = {"messages": [{"role": "system", "content": "Be brief."},
                         {"role": "user", "content": "Hello"}],
            "max_tokens": 6, "temperature": 0}
    status, out, _ = server.request("POST", "/v1/chat/completions", chat)
    check(status == 200 and out["object"] == "chat.completion", out)
    message = out["choices"][0]["message"]
    check(message["role"] == "assistant", message)
    status, events, done = server.stream("/v1/chat/completions",
                                         dict(chat, stream=True))
    check(events[0]["choices"][0]["delta"].get("role") == "assistant",
          events[0])
    streamed, _ = completion_text(events, chat=True)
    check(done and streamed == message["content"],
          f"chat streamed {streamed!r} != {message['content']!r}")

    # The chat's next turn shares the first one's prompt and answer.
    turn = dict(chat, messages=chat["messages"] + [
        message, {"role": "user", "content": "And then?"}])
    first_turn = out["usage"]["prompt_tokens"]
    status, out, _ = server.request("POST", "/v1/chat/completions", turn)
    cached = out["usage"]["prompt_tokens_details"]["cached_tokens"]
    check(status == 200 and cached >= first_turn,
          f"next turn: {out['usage']}, the first's prompt {first_turn}")

    # Sampling with a seed repeats itself.
    sampled = dict(body, temperature=0.9, top_p=0.9, seed=42)
    a = server.request("POST", "/v1/completions", sampled)[1]
    b = server.request("POST", "/v1/completions", sampled)[1]
    check(a["choices"][0]["text"] == b["choices"][0]["text"],
          "the same seed gave different text")

    status, models, _ = server.request("GET", "/v1/models")
    check(status == 200 and models["data"][0]["id"] == "m", models)
    status, health, _ = server.request("GET", "/health")
    check(status == 200 and health["status"] == "ok", health)
    check_metrics(server, health)
    print("  api: stream == whole, prefix cache, stop strings, chat "
          f"(next turn: {cached} of {out['usage']['prompt_tokens']} prompt "
          "tokens cached), seeds, models, health")


def expect_error(server, body, status, param=None, code=None, raw=None,
                 path="/v1/completions"):
    got, out, headers = server.request("POST", path, body, raw=raw)
    check(got == status, f"{body or raw!r}: HTTP {got} {out}, want {status}")
    check(out and "message" in out.get("error", {}),
          f"{body or raw!r}: no error object: {out}")
    if param is not None:
        check(out["error"]["param"] == param, out)
    if code is not None:
        check(out["error"]["code"] == code, out)
    return out, headers


def test_errors(ctx):
    server = ctx["server"]
    expect_error(server, None, 400, raw=b"{not json")
    expect_error(server, {"prompt": "a", "max_tokens": "lots"}, 400,
                 "max_tokens")
    expect_error(server, {"prompt": "a", "max_tokens": 10 ** 9}, 400,
                 "max_tokens", "context_length_exceeded")
    expect_error(server, {"prompt": "word " * 400}, 400, "prompt",
                 "context_length_exceeded")
    expect_error(server, {"prompt": [0, 10 ** 6]}, 400)
    expect_error(server, {"messages": [{"role": "robot", "content": "x"}]},
                 400, "messages[0].role", path="/v1/chat/completions")
    expect_error(server, None, 413, raw=b"{" + b" " * (2 << 20) + b"}")
    got, out, _ = server.request("GET", "/v1/nothing")
    check(got == 404 and "error" in out, f"unknown path: {got} {out}")

    # A full queue: one slot busy, no room to wait.
    busy = Server(ctx["xfc"], ctx["slow_model"], "--parallel", "1",
                  "--queue", "0", "-t", "1")
    try:
        started = threading.Event()
        long = {"prompt": "a", "max_tokens": 300, "temperature": 0,
                "stream": True, "ignore_eos": True}
        result = {}
        t = threading.Thread(target=lambda: result.update(
            r=busy.stream("/v1/completions", long,
                          on_event=lambda e: started.set())))
        t.start()
        check(started.wait(30), "the first request did not start")
        out, headers = expect_error(busy, {"prompt": "b"}, 503)
        check(out["error"]["type"] == "unavailable_error", out)
        check("Retry-After" in headers, headers)
        t.join(60)
        check(result["r"][0] == 200 and result["r"][2],
              "the running request was disturbed")
    finally:
        busy.stop()
    print("  errors: 400/404/413 error objects, 503 on a full queue")


def leave_mid_stream(server):
    """A client that sends a streaming request and hangs up mid-way."""
    body = json.dumps({"prompt": "hello", "max_tokens": 60,
                       "stream": True}).encode()
    s = socket.create_connection((server.host, server.port), timeout=30)
    s.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\n"
              b"Content-Type: application/json\r\nContent-Length: " +
              str(len(body)).encode() + b"\r\n\r\n" + body)
    s.recv(256)
    s.close()


def test_robustness(ctx):
    server = ctx["server"]
    rng = random.Random(7)
    valid = {"prompt": "hello", "max_tokens": 4, "temperature": 0}
    # Warm up: the first requests size the scratch buffers.
    for _ in range(3):
        server.request("POST", "/v1/completions", valid)
    before = server.rss_kib()
    # Values each field refuses.
    bad = {"prompt": [1.5, {}, True, None, ["a", "b"]],
           "max_tokens": ["x", -1, 1.5, 0, [], "1" * 1000],
           "temperature": ["x", -1, 3, []], "top_p": ["x", 0, 1.5],
           "seed": ["x", 1.5, 10 ** 30], "stop": [1, [1], ["a"] * 5],
           "stream": ["x", 1], "n": [2, "x"], "logprobs": [6, -1, "x"]}
    statuses = {}
    for i in range(1000):
        kind = i % 5
        if kind == 0:  # bytes that are not JSON
            raw = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
            status = server.request("POST", "/v1/completions", raw=raw)[0]
        elif kind == 1:  # a field of the wrong type
            body = dict(valid)
            field = rng.choice(sorted(bad))
            body[field] = rng.choice(bad[field])
            status = server.request("POST", "/v1/completions", body)[0]
        elif kind == 2:  # huge max_tokens
            body = dict(valid, max_tokens=rng.choice([10 ** 6, 2 ** 62]))
            status = server.request("POST", "/v1/completions", body)[0]
        elif kind == 3:  # malformed chat messages
            body = {"messages": rng.choice([
                "hi", [1], [{"role": "user"}], [{"role": 1, "content": "x"}],
                [{"role": "user", "content": [{"type": "image_url"}]}]])}
            status = server.request("POST", "/v1/chat/completions", body)[0]
        else:  # a client that leaves mid-stream
            leave_mid_stream(server)
            status = "left"
        statuses[status] = statuses.get(status, 0) + 1
    check(all(s in (400, 413, "left") for s in statuses),
          f"unexpected statuses {statuses}")
    # The abandoned streams' slots come back.
    deadline = time.time() + 30
    while time.time() < deadline:
        health = server.request("GET", "/health")[1]
        if health["running"] == 0 and health["queued"] == 0:
            break
        time.sleep(0.05)
    check(health["status"] == "ok" and health["running"] == 0, health)
    for _ in range(3):
        status, out, _ = server.request("POST", "/v1/completions", valid)
        check(status == 200, f"after the flood: HTTP {status} {out}")
    after = server.rss_kib()
    print(f"  robustness: 1000 malformed requests {statuses}; RSS "
          f"{before / 1024:.1f} MiB before, {after / 1024:.1f} MiB after")
    check(after - before < 8 * 1024, "RSS grew by more than 8 MiB")


def test_shutdown(ctx):
    model = ctx["slow_model"]
    for grace, tokens, finishes in (("30", 60, True), ("0", 1000, False)):
        server = Server(ctx["xfc"], model, "--shutdown-timeout", grace,
                        "-t", "1")
        body = {"prompt": "a", "max_tokens": tokens, "temperature": 0,
                "stream": True, "ignore_eos": True}
        started, result = threading.Event(), {}
        t = threading.Thread(target=lambda: result.update(
            r=server.stream("/v1/completions", body,
                            on_event=lambda e: started.set())))
        t.start()
        check(started.wait(30), "the stream did not start")
        code, err = server.stop(signal.SIGTERM)
        t.join(60)
        check(code == 0, f"exit code {code}: {err}")
        check("stopping (SIGTERM)" in err, err)
        status, events, done = result["r"]
        _, finish = completion_text(events)
        if finishes:
            check(done and finish == "length",
                  f"grace {grace}: the stream did not finish: {events[-1]}")
        else:
            check("cancelled" in events[-1].get("error", {}).get(
                "message", ""), f"grace {grace}: not cancelled: {events[-1]}")
    print("  shutdown: SIGTERM finishes in-flight streams within the grace "
          "period, cancels them after; exit 0")


def test_api_key(ctx):
    server = Server(ctx["xfc"], ctx["model"], "--api-key", "sekrit", "-t",
                    "1")
    try:
        body = {"prompt": "a", "max_tokens": 2}
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            status, out, _ = server.request(
                "POST", "/v1/completions", raw=json.dumps(body).encode(),
                headers=dict(headers, **{"Content-Type": "application/json"}))
            check(status == 401 and out["error"]["code"] == "invalid_api_key",
                  f"{headers}: HTTP {status} {out}")
        status, out, _ = server.request(
            "POST", "/v1/completions", raw=json.dumps(body).encode(),
            headers={"Content-Type": "application/json",
                     "Authorization": "Bearer sekrit"})
        check(status == 200, f"with the key: HTTP {status} {out}")
        check(server.request("GET", "/health")[0] == 200, "/health closed")
        if ctx["node_modules"]:
            run_openai_client(ctx, server, "sekrit")
    finally:
        server.stop()
    print("  api key: 401 without it or with a wrong one; the openai client "
          "passes with it")


def test_gguf(ctx):
    # A GGUF is compiled on the fly, with a batch row per slot.
    env = dict(os.environ, XFC_CACHE_DIR=os.path.join(ctx["workdir"], "cache"))
    server = Server(ctx["xfc"], ctx["model"].replace(".so", ".gguf"),
                    "--parallel", "6", "-t", "1", env=env, timeout=120)
    try:
        check("6 slots, 6 rows per decode step" in server.banner,
              server.banner)
        # Greedy past EOS: a sampled first token could end it at once.
        status, out, _ = server.request("POST", "/v1/completions",
                                        {"prompt": "a", "max_tokens": 3,
                                         "temperature": 0,
                                         "ignore_eos": True})
        check(status == 200 and out["usage"]["completion_tokens"] == 3, out)
    finally:
        server.stop()
    print("  gguf: compiled on the fly with --parallel's rows: "
          + server.banner)


def test_openai(ctx):
    if not ctx["node_modules"]:
        raise AssertionError("--node-modules not given")
    module = os.path.join(ctx["node_modules"], "openai")
    check(os.path.isdir(module),
          f"{module} is missing: run scripts/setup.sh (npm install openai)")
    run_openai_client(ctx, ctx["server"], "not-needed")


def run_openai_client(ctx, server, key):
    module = os.path.join(ctx["node_modules"], "openai")
    # What the client must see: the same request without it.
    body = {"prompt": PROMPTS[1], "max_tokens": 8, "temperature": 0,
            "return_tokens": True}
    auth = {"Content-Type": "application/json",
            "Authorization": "Bearer " + key}
    expected = server.request("POST", "/v1/completions", body,
                              headers=auth)[1]
    chat = {"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 8,
            "temperature": 0}
    expected_chat = server.request("POST", "/v1/chat/completions", chat,
                                   headers=auth)[1]
    env = dict(os.environ, XFC_OPENAI_MODULE=module, XFC_API_KEY=key)
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          "openai_client.cjs")
    proc = subprocess.run(
        ["node", script, f"http://{server.host}:{server.port}/v1", "m",
         PROMPTS[1], json.dumps(expected["choices"][0]),
         json.dumps(expected_chat["choices"][0]["message"]["content"])],
        env=env, capture_output=True, text=True, timeout=120)
    sys.stdout.write(proc.stdout)
    check(proc.returncode == 0, "openai client test failed:\n" + proc.stderr)


TESTS = {"identity": test_identity, "api": test_api, "errors": test_errors,
         "robustness": test_robustness, "shutdown": test_shutdown,
         "openai": test_openai, "api_key": test_api_key, "gguf": test_gguf}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--xfc", required=True)
    parser.add_argument("--node-modules", default="", type=os.path.abspath)
    parser.add_argument("--only", default=",".join(TESTS))
    args = parser.parse_args()
    failed = []
    with tempfile.TemporaryDirectory(prefix="xfc-serve-") as workdir:
        model = compile_model(args.xfc, workdir, "m",
                              ["--arch", "llama", "--ctx", "128"],
                              ["--batch-rows", "4"])
        # Slow enough (about 250 tokens/s on one thread) that a long
        # stream is surely still running when the test acts on the server.
        slow = compile_model(args.xfc, workdir, "slow",
                             ["--arch", "llama", "--dim", "512", "--ffn",
                              "1536", "--layers", "4", "--ctx", "1024"],
                             ["--batch-rows", "1"])
        server = Server(args.xfc, model, "--parallel", "4", "-t", "2")
        ctx = {"xfc": args.xfc, "model": model, "slow_model": slow,
               "workdir": workdir,
               "server": server, "eos": 2, "node_modules": args.node_modules}
        try:
            for name in args.only.split(","):
                try:
                    TESTS[name](ctx)
                    print(f"PASS {name}")
                except Exception as e:  # report every test, then fail
                    print(f"FAIL {name}: {e}")
                    failed.append(name)
                sys.stdout.flush()
        finally:
            code, err = server.stop()
            if code != 0:
                print(f"FAIL server exit code {code}: {err}")
                failed.append("exit")
    if failed:
        print("failed: " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
