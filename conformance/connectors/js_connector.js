// A connector built on the official JavaScript Channel SDK (npm `ringcentral-engage-source`),
// run with its `rces` CLI. The SDK validates the action, verifies each request and signs each
// answer; this file only serves fixtures, as python_connector.py does (same environment).
'use strict';

const fs = require('fs');

const fixtures = JSON.parse(fs.readFileSync(process.env.CONNECTOR_FIXTURES, 'utf8'));
const replies = Object.assign({}, fixtures.replies || {});

function list(collection, params) {
  const items = (fixtures.lists || {})[collection] || [];
  const since = (params || {}).since_id;
  const at = items.findIndex((i) => i.id === since);
  const newer = at >= 0 ? items.slice(0, at) : items;
  return newer.slice(-(fixtures.page_size || 100));
}

exports.onRequest = async (body) => {
  const { action, params } = body;
  fs.appendFileSync(process.env.CONNECTOR_LOG, JSON.stringify(body) + '\n');
  const scripted = replies[action];
  if (scripted && scripted.length) return scripted.shift();
  if (action === 'implementation.info') return fixtures.info;
  const [collection, operation] = action.split('.');
  if (operation === 'list') return list(collection, params);
  if (operation === 'create') return { id: 'js-' + params.content_id, body: params.body };
  return { id: (params || {}).id };
};
