#!/usr/bin/python3
"""Load test of `xfc serve`: N concurrent streaming clients on loopback.

    bench/serve_load.py --xfc build/bin/xfc --model m.so [--clients 1,2,4,8,16]
                        [--max-tokens 64] [--requests 2] [-t 2]
                        [--conversation] [--prompt-words 8]
                        [--no-prefix-cache]

One server (--parallel = the largest N) serves every N in turn. Each of
the N clients sends --requests streaming completions one after another
(different prompts, ignore_eos, so each yields exactly --max-tokens
tokens). Reported per N: total generated tokens/s over the wall time,
time to first token (p50/p99, from sending the request) and inter-token
latency (p50/p99, between a stream's tokens), as a Markdown table.

--conversation makes each client's requests the turns of one
conversation: a request's prompt is the previous prompt, its generated
text and --prompt-words new words, as a chat client sends it. The table
then also gives the TTFT of the later turns, which the server's prefix
cache serves (compare with --no-prefix-cache).
"""

import argparse
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "test", "Serve"))
from serve_support import Server  # noqa: E402

WORDS = ["the", "model", "serves", "many", "streams", "at", "once", "while",
         "each", "keeps", "its", "own", "cache", "and", "position"]


def percentile(values, p):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def client(server, tag, index, requests, max_tokens, prompt_words,
           conversation, out):
    history = ""
    for r in range(requests):
        words = [WORDS[(index * 7 + r * 3 + i) % len(WORDS)]
                 for i in range(prompt_words)]
        prompt = " ".join(words)
        if conversation and history:
            prompt = history + " " + prompt
        else:
            # No two requests of the run share more than this word, so the
            # prefix cache serves only a conversation's earlier turns.
            prompt = f"{tag}{index}x{r}: {prompt}"
        body = {"prompt": prompt, "max_tokens": max_tokens,
                "temperature": 0, "stream": True, "ignore_eos": True,
                "return_tokens": True}
        times = []
        start = time.perf_counter()
        status, events, done = server.stream(
            "/v1/completions", body,
            on_event=lambda e: times.extend(
                [time.perf_counter()] * len(e["choices"][0].get("tokens",
                                                                 []))))
        if status != 200 or not done:
            out["errors"] += 1
            if out["errors"] == 1:
                print(f"client {index}: HTTP {status}: {events}"[:300],
                      file=sys.stderr)
            continue
        out["tokens"] += len(times)
        history = prompt + "".join(e["choices"][0].get("text", "")
                                   for e in events if e.get("choices"))
        if times:
            out["ttft" if r == 0 else "ttft_later"].append(times[0] - start)
            out["itl"] += [b - a for a, b in zip(times, times[1:])]


def run_level(server, n, requests, max_tokens, prompt_words, conversation):
    out = {"tokens": 0, "errors": 0, "ttft": [], "ttft_later": [], "itl": []}
    lock = threading.Lock()
    results = [dict(tokens=0, errors=0, ttft=[], ttft_later=[], itl=[])
               for _ in range(n)]
    threads = [threading.Thread(target=client, args=(
        server, f"n{n}c", i, requests, max_tokens, prompt_words, conversation,
        results[i])) for i in range(n)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    with lock:
        for r in results:
            out["tokens"] += r["tokens"]
            out["errors"] += r["errors"]
            out["ttft"] += r["ttft"]
            out["ttft_later"] += r["ttft_later"]
            out["itl"] += r["itl"]
    out["tps"] = out["tokens"] / wall
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--xfc", required=True)
    p.add_argument("--model", required=True, help="a compiled model .so")
    p.add_argument("--clients", default="1,2,4,8,16")
    p.add_argument("--max-tokens", type=int, default=64)
    p.add_argument("--requests", type=int, default=2,
                   help="requests per client, one after another")
    p.add_argument("--prompt-words", type=int, default=8)
    p.add_argument("-t", "--threads", type=int, default=0)
    p.add_argument("--conversation", action="store_true",
                   help="each client's requests are turns of one chat")
    p.add_argument("--no-prefix-cache", action="store_true",
                   help="serve with --prefix-cache=false")
    args = p.parse_args()
    levels = [int(x) for x in args.clients.split(",")]
    cache = "false" if args.no_prefix_cache else "true"
    server = Server(args.xfc, args.model, "--parallel", str(max(levels)),
                    "-t", str(args.threads), "--prefix-cache=" + cache,
                    timeout=600)
    try:
        client(server, "warmup", 0, 1, 8, args.prompt_words, False,
               dict(tokens=0, errors=0, ttft=[], ttft_later=[], itl=[]))
        rows = []
        for n in levels:
            rows.append((n, run_level(server, n, args.requests,
                                      args.max_tokens, args.prompt_words,
                                      args.conversation)))
        health = server.request("GET", "/health")[1]
    finally:
        server.stop()
    base = rows[0][1]["tps"]
    print(f"xfc serve load test: {os.path.basename(args.model)}, "
          f"--parallel {max(levels)}, {args.requests} requests x "
          f"{args.max_tokens} tokens per client, {args.prompt_words}-word "
          f"prompts{', conversations' if args.conversation else ''}, "
          f"--prefix-cache={cache}; {health['completed']} requests "
          f"completed, {health['cached_prompt_tokens']} of "
          f"{health['cached_prompt_tokens'] + health['prompt_tokens']} "
          "prompt tokens from the prefix cache")
    print()
    print("| clients | tokens/s (all) | vs 1 client | TTFT p50 | TTFT p99 "
          "| TTFT later requests p50 | ITL p50 | ITL p99 | errors |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    ms = lambda values, p: f"{1000 * percentile(values, p):.0f} ms"  # noqa
    for n, r in rows:
        print(f"| {n} | {r['tps']:.1f} | {r['tps'] / base:.2f}x "
              f"| {ms(r['ttft'], 50)} | {ms(r['ttft'], 99)} "
              f"| {ms(r['ttft_later'], 50)} "
              f"| {1000 * percentile(r['itl'], 50):.1f} ms "
              f"| {1000 * percentile(r['itl'], 99):.1f} ms | {r['errors']} |")
    return 1 if any(r["errors"] for _, r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
