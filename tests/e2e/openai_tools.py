"""Drives a running Agora's client tools as developers do: the official `openai` SDK and
LangChain's `ChatOpenAI.bind_tools`, whole and streamed, against an agent on the offline
model (which calls a tool the user names, with the JSON after its name as arguments).

  python openai_tools.py <base url>/v1 <api key> <model>

Prints one JSON object with what each client saw.
"""
import json
import sys

import openai
from langchain_core.messages import HumanMessage
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI

base_url, api_key, model = sys.argv[1:4]
client = openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=30)

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city now",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
question = {"role": "user", "content": 'Please call get_weather {"city": "Oslo"}'}

# The SDK, whole: the call, then the result back, then the answer.
first = client.chat.completions.create(model=model, messages=[question], tools=[WEATHER])
call = first.choices[0].message.tool_calls[0]
second = client.chat.completions.create(
    model=model,
    tools=[WEATHER],
    messages=[
        question,
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "Oslo: -4 °C, snow"},
    ],
)

# The SDK, streamed: the call put back together from its deltas by index.
streamed_calls = {}
finish = None
with client.chat.completions.create(
    model=model, messages=[question], tools=[WEATHER], tool_choice="required", stream=True
) as stream:
    for chunk in stream:
        for choice in chunk.choices:
            for delta in choice.delta.tool_calls or []:
                entry = streamed_calls.setdefault(delta.index, {"id": "", "name": "", "arguments": ""})
                entry["id"] += delta.id or ""
                if delta.function:
                    entry["name"] += delta.function.name or ""
                    entry["arguments"] += delta.function.arguments or ""
            if choice.finish_reason:
                finish = choice.finish_reason


@tool
def get_weather(city: str) -> str:
    """The weather in a city now."""
    return f"{city}: -4 °C, snow"


llm = ChatOpenAI(base_url=base_url, api_key=api_key, model=model, max_retries=0, timeout=30)
bound = llm.bind_tools([get_weather])
human = HumanMessage('call get_weather {"city": "Bergen"}')
asked = bound.invoke([human])
results = [get_weather.invoke(tool_call) for tool_call in asked.tool_calls]
answered = bound.invoke([human, asked, *results])
gathered = None
for piece in bound.stream([human]):
    gathered = piece if gathered is None else gathered + piece

print(json.dumps({
    "sdk": {
        "finish_reason": first.choices[0].finish_reason,
        "content": first.choices[0].message.content,
        "call": {"id": call.id, "name": call.function.name, "arguments": json.loads(call.function.arguments)},
        "answer": second.choices[0].message.content,
        "streamed_calls": list(streamed_calls.values()),
        "streamed_finish": finish,
    },
    "langchain": {
        "tool_calls": [{"name": c["name"], "args": c["args"]} for c in asked.tool_calls],
        "answer": answered.content,
        "streamed_tool_calls": [{"name": c["name"], "args": c["args"]} for c in gathered.tool_calls],
    },
}, ensure_ascii=False))
