"""Starting `xfc serve` and talking to it, for the serving tests and the
load benchmark. Python's standard library only (http.client)."""

import http.client
import json
import os
import signal
import subprocess
import time


class ServerError(Exception):
    pass


class Server:
    """An `xfc serve` process on a free loopback port."""

    def __init__(self, xfc, model, *args, timeout=60, env=None):
        self.proc = subprocess.Popen(
            [xfc, "serve", model, "--port", "0", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=env)
        line = self.proc.stdout.readline()
        if "listening on http://" not in line:
            self.proc.kill()
            raise ServerError("xfc serve did not start: " + line +
                              self.proc.stderr.read())
        self.banner = line.strip()
        address = self.banner.rsplit("http://", 1)[1]
        self.host, port = address.rsplit(":", 1)
        self.port = int(port)
        self.timeout = timeout

    def connection(self):
        return http.client.HTTPConnection(self.host, self.port,
                                          timeout=self.timeout)

    def request(self, method, path, body=None, raw=None, headers=None):
        """(status, parsed JSON body or None, response headers)."""
        conn = self.connection()
        try:
            data = raw if raw is not None else (
                None if body is None else json.dumps(body).encode())
            conn.request(method, path, body=data, headers=headers or {
                "Content-Type": "application/json"})
            res = conn.getresponse()
            text = res.read()
            try:
                parsed = json.loads(text) if text else None
            except ValueError:
                parsed = None
            return res.status, parsed, dict(res.getheaders())
        finally:
            conn.close()

    def text(self, path):
        """(status, body as text) of a GET."""
        conn = self.connection()
        try:
            conn.request("GET", path)
            res = conn.getresponse()
            return res.status, res.read().decode()
        finally:
            conn.close()

    def stream(self, path, body, on_event=None):
        """POSTs a streaming request: (status, [events], saw [DONE])."""
        conn = self.connection()
        try:
            conn.request("POST", path, body=json.dumps(body).encode(),
                         headers={"Content-Type": "application/json"})
            res = conn.getresponse()
            if res.status != 200:
                return res.status, [json.loads(res.read())], False
            events, done = [], False
            for line in res:
                line = line.decode().strip()
                if not line.startswith("data: "):
                    continue
                payload = line[len("data: "):]
                if payload == "[DONE]":
                    done = True
                    break
                events.append(json.loads(payload))
                if on_event:
                    on_event(events[-1])
            return res.status, events, done
        finally:
            conn.close()

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise ServerError("no VmRSS")

    def stop(self, sig=signal.SIGTERM, timeout=60):
        """Signals the server; its exit code and stderr."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            _, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise ServerError(f"xfc serve did not stop within {timeout} s")
        return self.proc.returncode, err


def compile_model(xfc, workdir, name, make_args, compile_args):
    gguf = os.path.join(workdir, name + ".gguf")
    so = os.path.join(workdir, name + ".so")
    subprocess.run([xfc, "make-model", *make_args, "-o", gguf], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run([xfc, "compile", gguf, *compile_args, "-o", so],
                   check=True)
    return so


def completion_text(events, chat=False):
    """The text of a stream's events, and its finish reason."""
    text, finish = "", None
    for e in events:
        choice = e["choices"][0] if e.get("choices") else {}
        piece = choice.get("delta", {}).get("content") if chat else \
            choice.get("text")
        text += piece or ""
        finish = choice.get("finish_reason") or finish
    return text, finish


def wait_until(predicate, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise ServerError("timed out waiting for " + what)
