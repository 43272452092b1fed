"""meter_openai / meter_anthropic through the real `openai` and `anthropic` clients (sync and
async) against a local server speaking their wire formats, metering into a real FlagMeter: the
caller gets what the unwrapped client gives, and each call is counted once."""

from __future__ import annotations

import anthropic
import openai
import pytest

from flagmeter import AsyncFlagMeter, FlagMeter, meter_anthropic, meter_openai
from providers import ANTHROPIC_TOKENS, Handler, start

MESSAGES = [{"role": "user", "content": "Hi"}]


@pytest.fixture(scope="module")
def provider():
    url, httpd = start()
    yield url
    httpd.shutdown()


@pytest.fixture
def fm(server):
    client = FlagMeter(server.url, server.key, flush_interval=60, flush_at_exit=False)
    yield client
    client.close()


def dump(x):
    return x.model_dump() if hasattr(x, "model_dump") else x


def test_openai_completion_and_stream(server, fm, provider):
    t = server.tenant()
    plain = openai.OpenAI(api_key="sk-test", base_url=f"{provider}/v1", max_retries=0)
    ai = meter_openai(plain, fm, tenant=t, user="alice")
    assert dump(ai.chat.completions.create(model="gpt-4o", messages=MESSAGES)) == dump(plain.chat.completions.create(model="gpt-4o", messages=MESSAGES))
    fm.flush()
    assert server.usage(t) == (17, 1)
    before = len(Handler.bodies)
    metered = [dump(c) for c in ai.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)]
    assert Handler.bodies[before]["stream_options"] == {"include_usage": True}
    unmetered = [dump(c) for c in plain.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)]
    assert metered == unmetered
    fm.flush()
    assert server.usage(t) == (34, 2)


def test_anthropic_message_and_stream(server, fm, provider):
    t = server.tenant()
    plain = anthropic.Anthropic(api_key="sk-ant-test", base_url=provider, max_retries=0)
    ai = meter_anthropic(plain, fm, tenant=lambda: t)
    args = {"model": "claude-haiku-4-5", "max_tokens": 100, "messages": MESSAGES}
    assert dump(ai.messages.create(**args)) == dump(plain.messages.create(**args))
    fm.flush()
    assert server.usage(t) == (ANTHROPIC_TOKENS, 1)
    metered = [dump(e) for e in ai.messages.create(**args, stream=True)]
    assert metered == [dump(e) for e in plain.messages.create(**args, stream=True)]
    fm.flush()
    assert server.usage(t) == (2 * ANTHROPIC_TOKENS, 2)


async def test_async_clients(server, provider):
    t = server.tenant()
    async with AsyncFlagMeter(server.url, server.key, flush_interval=60, flush_at_exit=False) as afm:
        oa = meter_openai(openai.AsyncOpenAI(api_key="sk-test", base_url=f"{provider}/v1", max_retries=0), afm, tenant=t)
        result = await oa.chat.completions.create(model="gpt-4o", messages=MESSAGES)
        assert result.usage.total_tokens == 17
        chunks = [c async for c in await oa.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)]
        assert all(c.choices for c in chunks)  # the usage-only chunk it asked for is hidden
        an = meter_anthropic(anthropic.AsyncAnthropic(api_key="sk-ant-test", base_url=provider, max_retries=0), afm, tenant=t)
        events = [e async for e in await an.messages.create(model="claude-haiku-4-5", max_tokens=100, messages=MESSAGES, stream=True)]
        assert events[-1].type == "message_stop"
        await afm.flush()
    assert server.usage(t) == (17 + 17 + ANTHROPIC_TOKENS, 3)
