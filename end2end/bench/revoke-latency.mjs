// Measures the time from an admin's revoke (the API call returning) to the revoked user's open
// tab showing the sign-in page with the reason. Usage: node revoke-latency.mjs BASE_URL [runs]
import { chromium } from '@playwright/test';

const base = process.argv[2];
const runs = Number(process.argv[3] || 5);
const password = 'correct horse battery staple';
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

async function signIn(email) {
  const context = await browser.newContext({ baseURL: base });
  const page = await context.newPage();
  await page.goto('/login');
  await page.waitForSelector('body[data-hydrated]');
  await page.fill('#email', email);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
  await page.waitForURL(`${base}/`);
  await page.waitForSelector('body[data-live="open"]');
  return { context, page };
}

const admin = await browser.newContext({ baseURL: base });
const login = await admin.request.post('/api/login', { headers: { origin: base }, form: { email: 'admin@example.test', password } });
// The session cookie among the others the sign-in sets (the device cookie first).
const adminCookie = login.headers()['set-cookie'].split('\n').find((l) => l.startsWith('__Host-hallpass=')).split(';')[0];

const samples = [];
for (let i = 0; i < runs; i++) {
  const user = await signIn('user@example.test');
  const list = await (await admin.request.post('/api/admin_sessions', { headers: { cookie: adminCookie, origin: base } })).json();
  const target = list.sessions.filter((s) => s.email === 'user@example.test').sort((a, b) => b.created_at - a.created_at)[0];
  const left = user.page.waitForURL(/reason=revoked/, { timeout: 5000 }).then(() => performance.now());
  const start = performance.now();
  const res = await admin.request.post('/api/admin_revoke_session', { headers: { cookie: adminCookie, origin: base }, form: { handle: target.handle } });
  if (res.status() !== 200) throw new Error(`revoke failed: ${res.status()} ${await res.text()}`);
  samples.push((await left) - start);
  await user.context.close();
}
samples.sort((a, b) => a - b);
console.log(`revoke-to-tab runs=${runs} median_ms=${samples[Math.floor(runs / 2)].toFixed(0)} max_ms=${samples[runs - 1].toFixed(0)}`);
await browser.close();
