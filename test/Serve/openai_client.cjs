// The official openai npm client against `xfc serve`: completions and chat
// completions, streamed and not. Usage:
//   node openai_client.cjs BASE_URL MODEL PROMPT EXPECTED_CHOICE_JSON
//        EXPECTED_CHAT_CONTENT_JSON
// with XFC_OPENAI_MODULE the path of the installed openai package and
// XFC_API_KEY the server's key (any text if it has none). Every
// request is bounded (timeout, no retries); exits non-zero on a mismatch.
'use strict';
const assert = require('node:assert/strict');
const OpenAI = require(process.env.XFC_OPENAI_MODULE);

const [baseURL, model, prompt, expectedJson, expectedChatJson] =
    process.argv.slice(2);
const expected = JSON.parse(expectedJson);
const expectedChat = JSON.parse(expectedChatJson);
const client = new (OpenAI.default || OpenAI)(
    {baseURL, apiKey: process.env.XFC_API_KEY, timeout: 30000, maxRetries: 0});

async function main() {
  const request = {model, prompt, max_tokens: 8, temperature: 0};

  const whole = await client.completions.create(request);
  assert.equal(whole.object, 'text_completion');
  assert.equal(whole.choices[0].text, expected.text);
  assert.equal(whole.choices[0].finish_reason, expected.finish_reason);
  assert.ok(whole.usage.completion_tokens >= 1);
  console.log('  openai: completions.create: ' +
              JSON.stringify(whole.choices[0].text));

  const stream = await client.completions.create({...request, stream: true});
  let streamed = '';
  let finish = null;
  for await (const chunk of stream) {
    streamed += chunk.choices[0].text;
    finish = chunk.choices[0].finish_reason || finish;
  }
  assert.equal(streamed, expected.text);
  assert.equal(finish, expected.finish_reason);
  console.log('  openai: completions.create stream: same text');

  const chatRequest = {
    model, messages: [{role: 'user', content: 'Hi'}], max_tokens: 8,
    temperature: 0,
  };
  const chat = await client.chat.completions.create(chatRequest);
  assert.equal(chat.object, 'chat.completion');
  assert.equal(chat.choices[0].message.role, 'assistant');
  assert.equal(chat.choices[0].message.content, expectedChat);
  console.log('  openai: chat.completions.create: ' +
              JSON.stringify(chat.choices[0].message.content));

  const chatStream =
      await client.chat.completions.create({...chatRequest, stream: true});
  let content = '';
  let role = null;
  for await (const chunk of chatStream) {
    const delta = chunk.choices[0].delta;
    role = delta.role || role;
    content += delta.content || '';
  }
  assert.equal(role, 'assistant');
  assert.equal(content, expectedChat);
  console.log('  openai: chat.completions.create stream: same content');

  const models = await client.models.list();
  assert.equal(models.data[0].id, model);

  // A request the server refuses surfaces as the client's typed error.
  await assert.rejects(
      client.completions.create({...request, max_tokens: 1e9}), (e) => {
        assert.equal(e.status, 400);
        assert.match(e.message, /context/);
        return true;
      });
  console.log('  openai: models.list, and a 400 as OpenAI.BadRequestError');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
