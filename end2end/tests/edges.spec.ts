import { expect, test } from '@playwright/test';
import { hydrated, live, signIn } from './helpers';

test('the not-found page hydrates under its CSP, with no console error', async ({ page }) => {
  await signIn(page);
  const problems: string[] = [];
  page.on('console', (msg) => {
    // Chromium reports the page's own 404 status as a console error; that one is the point.
    const own = msg.location().url.endsWith('/no-such-page') && msg.text().includes('404');
    if (msg.type() === 'error' && !own) problems.push(`${msg.text()} (${msg.location().url})`);
  });
  page.on('pageerror', (err) => problems.push(err.message));
  const res = await page.goto('/no-such-page');
  expect(res?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  await hydrated(page);
  // The favicon is asked for by the browser on its own; it exists.
  const icon = await page.request.get('/favicon.ico');
  expect(icon.status()).toBe(200);
  expect(problems).toEqual([]);
});

test('a tab whose live stream was refused gets one as soon as there is room', async ({ browser, baseURL }) => {
  test.setTimeout(60_000);
  // Eight streams per session per instance: a ninth tab of the same session is refused (429),
  // which browsers never retry by themselves. Once a place frees up it must still go live.
  // (A browser profile keeps at most six connections to a host, so the session's tabs are
  // spread over two contexts sharing its cookie.)
  const one = await browser.newContext({ baseURL });
  const first = await one.newPage();
  await signIn(first);
  await live(first);
  const two = await browser.newContext({ baseURL });
  await two.addCookies(await one.cookies());
  const tabs = [first];
  for (const [context, count] of [[one, 4], [two, 3]] as const) {
    for (let i = 0; i < count; i++) {
      const tab = await context.newPage();
      await tab.goto('/');
      await live(tab);
      tabs.push(tab);
    }
  }
  expect(tabs.length).toBe(8);
  const ninth = await two.newPage();
  const refused = ninth.waitForResponse((r) => r.url().endsWith('/api/events') && r.status() === 429);
  await ninth.goto('/');
  await refused;
  await expect(ninth.locator('body[data-live="open"]')).toHaveCount(0);
  // The server frees a closed tab's place when it notices (at the latest at the stream's
  // 15 s keep-alive); the refused tab retries every 3 s.
  await tabs[0].close();
  await expect(ninth.locator('body[data-live="open"]')).toHaveCount(1, { timeout: 30_000 });
  await one.close();
  await two.close();
});
