"""Drives a running Agora with the official `openai` Python SDK, as a developer would.

  python openai_sdk.py <base url>/v1 <api key> <model>

Prints one JSON object: the whole completion, and the streamed one put back together.
"""
import json
import sys

import openai

base_url, api_key, model = sys.argv[1:4]
client = openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=30)

whole = client.chat.completions.create(
    model=model,
    messages=[{"role": "user", "content": "Summarise: the meeting moved to Friday."}],
    max_tokens=200,
)

pieces = []
usage = None
finish = None
with client.chat.completions.create(
    model=model,
    messages=[{"role": "user", "content": "Stream this sentence back to me."}],
    stream=True,
    stream_options={"include_usage": True},
) as stream:
    for chunk in stream:
        if chunk.usage is not None:
            usage = chunk.usage.model_dump()
        for choice in chunk.choices:
            if choice.delta.content:
                pieces.append(choice.delta.content)
            if choice.finish_reason:
                finish = choice.finish_reason

models = [m.id for m in client.models.list().data]

try:
    client.chat.completions.create(model="agent:nobody/nothing", messages=[{"role": "user", "content": "hi"}])
    missing = None
except openai.NotFoundError as error:
    missing = {"status": error.status_code, "code": error.code}

print(json.dumps({
    "whole": {
        "content": whole.choices[0].message.content,
        "finish_reason": whole.choices[0].finish_reason,
        "usage": whole.usage.model_dump(),
        "id": whole.id,
    },
    "stream": {"content": "".join(pieces), "pieces": len(pieces), "usage": usage, "finish_reason": finish},
    "models": models,
    "missing": missing,
}))
