// Pushes Send API calls the way connectors built on the official JavaScript Channel SDK
// (npm `ringcentral-engage-source`) do: the body is `JSON.stringify(body)` (raw UTF-8), signed
// with the SDK's own `sign` (dist/common/sign.js) and posted with the SDK's axios dependency,
// with the headers of the SDK's `postMessage` (0.2.0; 0.1.9 on npm ships `sign` only).
//
// Input, as JSON on stdin: {"url": "...", "secret": "...", "bodies": [{...}, ...]}
// The bodies are posted one after the other, each once its predecessor was answered.
// Output, as JSON on stdout, one entry per body, in order:
//   [{"status": <HTTP status>, "body": "<response text>", "sent": "<the signed string>"}, ...]
'use strict';

const axios = require('axios');
const { sign } = require('ringcentral-engage-source/dist/common/sign');

async function post(url, secret, body) {
  const sent = JSON.stringify(body);
  const headers = {
    'X-SMCCSDK-SIGNATURE': sign(sent, secret),
    Accept: 'application/json',
    'Content-Type': 'application/json'
  };
  let res;
  try {
    // A string is sent as is (axios serialises only objects); keep the response as text.
    res = await axios.post(url, sent, { headers, proxy: false, transformResponse: [(data) => data] });
  } catch (err) {
    if (!err.response) throw err; // no HTTP answer at all
    res = err.response; // axios throws on non-2xx, as the SDK's postMessage does
  }
  return { status: res.status, body: res.data, sent };
}

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const { url, secret, bodies } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const results = [];
  for (const body of bodies) results.push(await post(url, secret, body));
  process.stdout.write(JSON.stringify(results));
}

main().catch((err) => {
  process.stderr.write(String((err && err.stack) || err) + '\n');
  process.exit(1);
});
