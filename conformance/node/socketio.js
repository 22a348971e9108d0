// Drives npm socket.io-client against /ws as seeds/003 shows it (path '/ws', websocket
// transport, authenticate on connect).
//
// Input, as JSON on stdin: {"url", "token", "email", "api_key"}. With a good token: wait for
// `authenticated`, create a contact with `email` over HTTP, wait for its `user.created`; then
// connect again with last_seq one below that event's seq and get it replayed.
// Output, as JSON on stdout: {"authenticated", "live", "resumed"} or, with a bad token,
// {"unauthorized", "disconnected"}.
'use strict';

const { io } = require('socket.io-client');
const http = require('http');

function connect(url, auth) {
  const socket = io(url, { path: '/ws', transports: ['websocket'], autoConnect: false, reconnection: false });
  socket.connect();
  socket.once('connect', () => socket.emit('authenticate', auth));
  return socket;
}

function once(socket, name, pred = () => true) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${name} within 30 s`)), 30000);
    const handler = (data) => {
      if (pred(data)) {
        clearTimeout(timer);
        socket.off(name, handler);
        resolve(data);
      }
    };
    socket.on(name, handler);
  });
}

function addContact(url, key, email) {
  const body = JSON.stringify({ first_name: 'Jo', contacts: { email } });
  const u = new URL('/company/contacts', url);
  return new Promise((resolve, reject) => {
    const req = http.request(u, { method: 'POST', headers: { Authorization: `Bearer ${key}`, 'X-User-Id': 'primary', 'Content-Type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 201 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function main() {
  const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
  const out = {};
  const socket = connect(input.url, { token: input.token });
  if (input.email === null) {
    const disconnected = once(socket, 'disconnect');
    out.unauthorized = await once(socket, 'unauthorized');
    await disconnected;
    out.disconnected = true;
  } else {
    out.authenticated = await once(socket, 'authenticated');
    const live = once(socket, 'user.created', (u) => u.email === input.email);
    await addContact(input.url, input.api_key, input.email);
    out.live = await live;
    socket.disconnect();
    const again = connect(input.url, { token: input.token, last_seq: out.live.seq - 1 });
    out.resumed = await once(again, 'user.created');
    again.disconnect();
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => {
  process.stderr.write(String(e.stack || e));
  process.exit(1);
});
