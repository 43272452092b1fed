"""A local HTTP server speaking OpenAI's chat completions and Anthropic's messages (answered and
SSE-streamed) with fixed usage, for the real `openai` and `anthropic` clients via base_url."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OPENAI_USAGE = {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17}
ANTHROPIC_TOKENS = 20 + 8 + 3 + 4


class Handler(BaseHTTPRequestHandler):
    bodies: list = []

    def log_message(self, *args):  # quiet
        pass

    def _send(self, status: int, content_type: str, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
        Handler.bodies.append({"path": self.path, **body})
        if self.path == "/v1/chat/completions":
            return self.openai(body)
        if self.path == "/v1/messages":
            return self.anthropic(body)
        self._send(404, "application/json", b'{"error": {"message": "no such path"}}')

    def openai(self, body):
        base = {"id": "chatcmpl-1", "created": 1764000000, "model": body["model"], "system_fingerprint": "fp_1"}
        if not body.get("stream"):
            msg = {**base, "object": "chat.completion", "usage": OPENAI_USAGE,
                   "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello there", "refusal": None}, "logprobs": None, "finish_reason": "stop"}]}
            return self._send(200, "application/json", json.dumps(msg).encode())
        with_usage = (body.get("stream_options") or {}).get("include_usage") is True

        def chunk(choices, usage=None):
            c = {**base, "object": "chat.completion.chunk", "choices": choices}
            if with_usage:
                c["usage"] = usage
            return c

        chunks = [
            chunk([{"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": None, "finish_reason": None}]),
            chunk([{"index": 0, "delta": {"content": "Hello"}, "logprobs": None, "finish_reason": None}]),
            chunk([{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}]),
        ] + ([chunk([], OPENAI_USAGE)] if with_usage else [])
        text = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
        self._send(200, "text/event-stream", text.encode())

    def anthropic(self, body):
        message = {"id": "msg_1", "type": "message", "role": "assistant", "model": body["model"], "stop_sequence": None}
        if not body.get("stream"):
            msg = {**message, "content": [{"type": "text", "text": "Hello there"}], "stop_reason": "end_turn",
                   "usage": {"input_tokens": 20, "output_tokens": 8, "cache_creation_input_tokens": 3, "cache_read_input_tokens": 4}}
            return self._send(200, "application/json", json.dumps(msg).encode())
        events = [
            {"type": "message_start", "message": {**message, "content": [], "stop_reason": None,
                                                  "usage": {"input_tokens": 20, "output_tokens": 1, "cache_creation_input_tokens": 3, "cache_read_input_tokens": 4}}},
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hello"}},
            {"type": "content_block_stop", "index": 0},
            {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None}, "usage": {"output_tokens": 8}},
            {"type": "message_stop"},
        ]
        text = "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events)
        self._send(200, "text/event-stream", text.encode())


def start() -> tuple[str, ThreadingHTTPServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{httpd.server_address[1]}", httpd
