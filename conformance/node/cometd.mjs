// Drives the official CometD JavaScript client (npm `cometd` + `cometd-nodejs-client`, as GWS
// agent desktops use it) against /api/v2 the way a GWS client works (spec §A.2, §A.10): sign
// in with Basic on GET /api/v2/me, handshake /api/v2/notifications with the JSESSIONID cookie
// (long-polling: GWS offers no websocket), subscribe /v2/me/*, start the contact-centre session
// on chat and go Ready, and wait for the ChannelStateChangeMessageV2 that says so.
//
// Input, as JSON on stdin: {"url", "email", "password"}.
// Output, as JSON on stdout: {"handshake", "subscribed", "start", "ready", "message"}.
import { adapt } from 'cometd-nodejs-client';
import { CometD } from 'cometd';
import { readFileSync } from 'node:fs';

adapt();

function fail(message) {
  process.stderr.write(message + '\n');
  process.exit(1);
}

const input = JSON.parse(readFileSync(0, 'utf8'));
const basic = 'Basic ' + Buffer.from(`${input.email}:${input.password}`).toString('base64');

const me = await fetch(`${input.url}/api/v2/me`, { headers: { Authorization: basic } });
if (me.status !== 200) fail(`sign-in answered ${me.status}`);
const cookie = (me.headers.get('set-cookie') || '').split(';')[0];
if (!cookie.startsWith('JSESSIONID=')) fail(`no session cookie: ${me.headers.get('set-cookie')}`);

function post(body) {
  return fetch(`${input.url}/api/v2/me`, {
    method: 'POST',
    headers: { Cookie: cookie, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  }).then(async (res) => ({ status: res.status, body: await res.json() }));
}

const cometd = new CometD();
cometd.unregisterTransport('websocket');
cometd.configure({ url: `${input.url}/api/v2/notifications`, requestHeaders: { Cookie: cookie }, logLevel: 'warn' });

const out = {};
const timer = setTimeout(() => fail(`timed out: ${JSON.stringify(out)}`), 30000);
const ready = new Promise((resolve) => {
  cometd.addListener('/meta/handshake', (m) => {
    out.handshake = m.successful;
  });
  cometd.handshake((reply) => {
    if (!reply.successful) fail(`handshake failed: ${JSON.stringify(reply)}`);
    cometd.subscribe('/v2/me/*', (message) => {
      const data = message.data || {};
      if (message.channel === '/v2/me/channels' && data.messageType === 'ChannelStateChangeMessageV2') {
        const chat = (data.channels || []).find((c) => c.channel === 'chat');
        if (chat && chat.userState && chat.userState.state === 'Ready') resolve(message);
      }
    }, async (sub) => {
      out.subscribed = sub.successful;
      out.start = await post({ operationName: 'StartContactCenterSession', channels: ['chat'] });
      out.ready = await post({ operationName: 'Ready' });
    });
  });
});

out.message = await ready;
clearTimeout(timer);
cometd.disconnect(() => {
  process.stdout.write(JSON.stringify(out));
  process.exit(0);
});
