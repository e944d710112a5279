"""The local llama.cpp server: time to ready, prompt and generation speed, peak memory.

Starts the server as paperlist does (`LocalServer`), then sends one summary request per size in
TOKENS: a paper's text cut to about that many tokens, the digest's system prompt and the Summary
JSON schema as a `json_schema` response format. Consecutive requests share the system prompt, so
from the second on its tokens come from llama.cpp's prompt cache, as for consecutive papers.
Speeds are llama.cpp's own `timings`; peak RSS is the child's VmHWM from /proc.

    .venv/bin/python bench/local_server.py [--tokens 1000 2000 4000] [--threads N] [--ctx 8192]
        [--max-tokens 700] [--pdf PAPER.pdf] [--model MODEL.gguf]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
for _name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(_name, None)

from openai import OpenAI  # noqa: E402

from pipeline.draft.schema import summary_schema  # noqa: E402
from pipeline.local import files as modelfiles  # noqa: E402
from pipeline.local.server import LOCAL_CONTEXT_TOKENS, LocalServer  # noqa: E402
from pipeline.models.summary import Summary  # noqa: E402

DEFAULT_PDF = REPO.parent / "shared" / "corpus" / "pdf" / "1706.03762v7.pdf"
CHARS_PER_TOKEN = 4.4  # measured for pypdf text of arXiv papers with this model's tokenizer
SECTIONS = ["LLM", "Diffusion", "Controllable", "Diffusion Transformer", "Video Generation",
            "Image Generation"]
SYSTEM = """\
You write entries for a research group's weekly digest of new arXiv papers. Read the paper and
answer with one JSON object with these fields:
- keypoints: 3 to 6 short noun phrases naming the paper's key ideas (not the title);
- objective: one to three sentences on the problem and the paper's goal;
- method: how the paper does it, as 2 to 5 short bullet points;
- metric: how it is evaluated and the headline numbers (benchmarks, gains, speed);
- results: the main findings, or null;
- limitation: a limitation the authors state, or null;
- section: the digest section the paper belongs to, one of: {sections}.
Write in plain English. Quote numbers exactly as the paper gives them. Do not invent results
that the text does not contain. Keep every field short: editors review each entry by hand.
"""


def paper_text(pdf: Path | None) -> str:
    if pdf and pdf.exists():
        from pypdf import PdfReader

        logging.getLogger("pypdf").setLevel(logging.ERROR)
        return "\n".join(page.extract_text() or "" for page in PdfReader(pdf).pages)
    sentence = ("We propose a diffusion transformer that conditions on layout tokens and "
                "evaluate it on COCO and LAION subsets, improving FID by 2.1 points. ")
    return sentence * 2000


def peak_rss_mb(pid: int | None) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tokens", type=int, nargs="+", default=[4000])
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--ctx", type=int, default=LOCAL_CONTEXT_TOKENS)
    parser.add_argument("--max-tokens", type=int, default=700)
    parser.add_argument("--pdf", type=Path, default=DEFAULT_PDF)
    parser.add_argument("--model", type=Path, default=None)
    args = parser.parse_args()

    model = args.model or modelfiles.install_default_model()
    text = paper_text(args.pdf)
    schema = summary_schema(SECTIONS)
    system = SYSTEM.format(sections=", ".join(SECTIONS))
    print(f"model {model.name}, ctx {args.ctx}, threads {args.threads or 'llama.cpp default'}")
    began = time.monotonic()
    with LocalServer(model, context_tokens=args.ctx, threads=args.threads) as server:
        print(f"ready in {time.monotonic() - began:.1f} s (pid {server.pid})")
        client = OpenAI(base_url=server.base_url, api_key=server.api_key, timeout=1800,
                        max_retries=0)
        print("target  prompt  cached  prompt_s  pp_tok/s  output  gen_s  tg_tok/s  total_s  "
              "valid")
        offset = 0
        for target in args.tokens:
            chars = int(target * CHARS_PER_TOKEN)
            chunk = text[offset:offset + chars]
            offset = (offset + chars) % max(1, len(text) - chars)
            started = time.monotonic()
            reply = client.chat.completions.create(
                model="local",
                messages=[{"role": "system", "content": system},
                          {"role": "user", "content": "Summarize this paper.\n\n" + chunk}],
                response_format={"type": "json_schema", "json_schema": {
                    "name": "summary", "strict": True, "schema": schema}},
                max_tokens=args.max_tokens,
                temperature=0.2,
            )
            total = time.monotonic() - started
            timings = (reply.model_extra or {}).get("timings", {})
            try:
                Summary.model_validate(json.loads(reply.choices[0].message.content or ""),
                                       context={"sections": SECTIONS})
                valid = "yes"
            except ValueError as exc:
                valid = f"no ({str(exc).splitlines()[0][:40]})"
            usage = reply.usage
            print(f"{target:6d}  {usage.prompt_tokens if usage else 0:6d}  "
                  f"{timings.get('cache_n', 0):6d}  {timings.get('prompt_ms', 0) / 1000:8.1f}  "
                  f"{timings.get('prompt_per_second', 0):8.1f}  "
                  f"{usage.completion_tokens if usage else 0:6d}  "
                  f"{timings.get('predicted_ms', 0) / 1000:5.1f}  "
                  f"{timings.get('predicted_per_second', 0):8.1f}  {total:7.1f}  {valid}",
                  flush=True)
        peak = peak_rss_mb(server.pid)
        print(f"peak RSS of the server: {peak:.0f} MB" if peak else "peak RSS: unknown")
    return 0


if __name__ == "__main__":
    sys.exit(main())
