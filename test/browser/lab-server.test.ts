/**
 * The JupyterLab server (scripts/lab/server.py on Debian's jupyter-server 1.23) over plain HTTP:
 * the gaps it fills for the JupyterLab 4.6 front end, its settings overrides, its token, and that
 * it lists what `fancyflow install` put into its private Jupyter home. Needs the host app
 * (`npm run build:all`), as `npm test` builds before it runs vitest.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installFancyflow, startLabServer, type LabServer } from '../../scripts/lab/launch-server';

const repo = path.resolve(__dirname, '..', '..');
const TOKEN = 'test-token-0123456789';

interface Reply {
  status: number;
  body: string;
}

function request(url: string, init: { method?: string; headers?: Record<string, string> } = {}) {
  return new Promise<Reply>((resolve, reject) => {
    const req = http.request(
      url,
      { method: init.method ?? 'GET', headers: init.headers },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The status of a websocket handshake (101 = upgraded). */
function upgradeStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': Buffer.from('fancyflow-test-k').toString('base64'),
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The page config JupyterLab receives in the page at `url`. */
async function pageConfig(url: string): Promise<Record<string, unknown>> {
  const page = await request(url);
  expect(page.status).toBe(200);
  const match = /<script id="jupyter-config-data" type="application\/json">(.*?)<\/script>/s.exec(
    page.body,
  );
  expect(match).not.toBeNull();
  return JSON.parse(match?.[1] ?? '{}') as Record<string, unknown>;
}

describe('the JupyterLab server', () => {
  let tmp: string;
  let server: LabServer;
  const auth = { Authorization: `token ${TOKEN}` };

  beforeAll(async () => {
    if (!fs.existsSync(path.join(repo, '.build', 'lab', 'templates', 'index.html'))) {
      throw new Error('the host app is not built: run npm run build:all');
    }
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ff-lab-server-'));
    fs.mkdirSync(path.join(tmp, 'root'));
    installFancyflow(path.join(tmp, 'jupyter'));
    server = await startLabServer({
      root: path.join(tmp, 'root'),
      jupyterDir: path.join(tmp, 'jupyter'),
      port: 0,
      token: TOKEN,
    });
  });

  afterAll(async () => {
    await server?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('listens on 127.0.0.1 and announces its URL with the token', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/lab\?token=test-token-0123456789$/);
  });

  it('refuses API calls without the token', async () => {
    expect((await request(`${server.origin}/api/me`)).status).toBe(403);
  });

  it('answers GET /api/me with an identity', async () => {
    const reply = await request(`${server.origin}/api/me`, { headers: auth });
    expect(reply.status).toBe(200);
    const me = JSON.parse(reply.body) as { identity: { username: string }; permissions: object };
    expect(typeof me.identity.username).toBe('string');
    expect(me.permissions).toEqual({});
  });

  it('accepts events and the events websocket', async () => {
    const post = await request(`${server.origin}/api/events`, { method: 'POST', headers: auth });
    expect(post.status).toBe(204);
    expect(await upgradeStatus(`${server.origin}/api/events/subscribe?token=${TOKEN}`)).toBe(101);
  });

  it('does not leak notFoundUrl from a 404 page into later pages', async () => {
    const missing = await pageConfig(`${server.origin}/lab/no/such/page?token=${TOKEN}`);
    expect(missing.notFoundUrl).toBe('/lab/no/such/page');
    const lab = await pageConfig(`${server.origin}/lab?token=${TOKEN}`);
    expect(lab).not.toHaveProperty('notFoundUrl');
  });

  it('turns off the rename-on-save dialog and the news and update checks', async () => {
    // jupyterlab_server applies overrides.json to the schema defaults it serves.
    const defaults = async (id: string) => {
      const reply = await request(`${server.origin}/lab/api/settings/${id}`, { headers: auth });
      expect(reply.status).toBe(200);
      const { schema } = JSON.parse(reply.body) as {
        schema: { properties: Record<string, { default?: unknown }> };
      };
      return Object.fromEntries(
        Object.entries(schema.properties).map(([key, value]) => [key, value.default]),
      );
    };
    const docmanager = await defaults('@jupyterlab/docmanager-extension:plugin');
    expect(docmanager.renameUntitledFileOnSave).toBe(false);
    const notification = await defaults('@jupyterlab/apputils-extension:notification');
    expect(notification).toMatchObject({ checkForUpdates: false, fetchNews: 'false' });
  });

  it('offers the kernel and the prebuilt extension that fancyflow install put in its Jupyter home', async () => {
    const specs = await request(`${server.origin}/api/kernelspecs`, { headers: auth });
    const kernels = JSON.parse(specs.body) as { kernelspecs: Record<string, unknown> };
    expect(Object.keys(kernels.kernelspecs)).toContain('fancyflow');
    const built = path.join(repo, 'dist', 'labextension', 'package.json');
    const config = await pageConfig(`${server.origin}/lab?token=${TOKEN}`);
    const names = (config.federated_extensions as { name: string }[]).map((e) => e.name);
    // The extension is listed exactly when it was built (it is copied by fancyflow install).
    expect(names).toEqual(fs.existsSync(built) ? ['fancyflow'] : []);
  });
});
