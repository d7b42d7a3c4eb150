import { expect, test } from '@playwright/test';
import { hydrated, signIn } from './helpers';

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
