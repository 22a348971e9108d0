// A GWS agent desktop on the official CometD JavaScript client (npm `cometd` +
// `cometd-nodejs-client`), with CSRF protection on (spec §A.2, §A.10): sign in with Basic on
// GET /api/v2/me (which answers the session cookie and the CSRF token), try one write without
// the token, handshake /api/v2/notifications with both, subscribe /v2/me/*, start the
// contact-centre session on chat, go Ready, and take the interaction offered on CometD: accept
// it, answer the customer with SendMessage, and complete it when the driver says so.
//
// It talks to its driver in JSON lines. Input: first {"url", "email", "password"}, later
// {"do": "complete"}. Output: {"step": "ready", ...} once Ready, {"step": "answered", ...} after
// SendMessage, {"step": "done", ...} after Complete.
import { adapt } from 'cometd-nodejs-client';
import { CometD } from 'cometd';
import { createInterface } from 'node:readline';

adapt();

function fail(message) {
  process.stderr.write(message + '\n');
  process.exit(1);
}

function say(line) {
  process.stdout.write(JSON.stringify(line) + '\n');
}

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
async function nextLine() {
  const { value, done } = await lines.next();
  if (done) fail('the driver closed stdin');
  return JSON.parse(value);
}

const input = await nextLine();
const basic = 'Basic ' + Buffer.from(`${input.email}:${input.password}`).toString('base64');
const me = await fetch(`${input.url}/api/v2/me`, { headers: { Authorization: basic } });
if (me.status !== 200) fail(`sign-in answered ${me.status}`);
const cookie = (me.headers.get('set-cookie') || '').split(';')[0];
if (!cookie.startsWith('JSESSIONID=')) fail(`no session cookie: ${me.headers.get('set-cookie')}`);
const tokenHeader = me.headers.get('x-csrf-header');
const token = me.headers.get(tokenHeader || 'x-csrf-token');
if (!token) fail('GET /api/v2/me answered no CSRF token');

async function post(path, body, withToken = true) {
  const headers = { Cookie: cookie, 'Content-Type': 'application/json' };
  if (withToken) headers[tokenHeader] = token;
  const res = await fetch(`${input.url}/api/v2${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

const out = { csrfHeader: tokenHeader };
out.withoutToken = await post('/me', { operationName: 'StartContactCenterSession', channels: ['chat'] }, false);

const cometd = new CometD();
cometd.unregisterTransport('websocket');
cometd.configure({
  url: `${input.url}/api/v2/notifications`,
  requestHeaders: { Cookie: cookie, [tokenHeader]: token },
  logLevel: 'warn',
});

const timer = setTimeout(() => fail(`timed out: ${JSON.stringify(out)}`), 90000);
let invited;
const offered = new Promise((resolve) => {
  invited = resolve;
});
await new Promise((resolve) => {
  cometd.handshake((reply) => {
    if (!reply.successful) fail(`handshake failed: ${JSON.stringify(reply)}`);
    out.handshake = true;
    cometd.subscribe(
      '/v2/me/*',
      (message) => {
        const data = message.data || {};
        if (message.channel === '/v2/me/interactions' && data.messageType === 'InteractionStateMessage') {
          if (data.interaction && data.interaction.state === 'Invited') invited(message);
        }
      },
      (sub) => {
        out.subscribed = sub.successful;
        resolve();
      },
    );
  });
});

out.start = await post('/me', { operationName: 'StartContactCenterSession', channels: ['chat'] });
out.ready = await post('/me', { operationName: 'Ready' });
say({ step: 'ready', ...out });

const invitation = await offered;
const id = invitation.data.interaction.id;
const answered = {
  invitation: { channel: invitation.channel, data: invitation.data },
  accept: await post(`/me/interactions/${id}`, { operationName: 'Accept' }),
  send: await post(`/me/interactions/${id}`, { operationName: 'SendMessage', text: 'On it, from the CometD desktop!' }),
};
say({ step: 'answered', ...answered });

const command = await nextLine();
if (command.do !== 'complete') fail(`unknown command ${JSON.stringify(command)}`);
const complete = await post(`/me/interactions/${id}`, { operationName: 'Complete' });
clearTimeout(timer);
cometd.disconnect(() => {
  say({ step: 'done', complete });
  process.exit(0);
});
