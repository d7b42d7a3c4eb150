import { expect, test, type Page } from '@playwright/test';
import { ADMIN, hydrated, signIn } from './helpers';

/** The WASM files the page fetches, by name, and every console error or uncaught exception. */
function watch(page: Page) {
  const wasm: string[] = [];
  const problems: string[] = [];
  page.on('request', (req) => {
    const name = new URL(req.url()).pathname;
    if (name.endsWith('.wasm')) wasm.push(name.replace('/pkg/', ''));
  });
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`${msg.text()} (${msg.location().url})`);
  });
  page.on('pageerror', (err) => problems.push(err.message));
  return { wasm, problems };
}

/** The lazily loaded page views (`app::pages::split`) among fetched WASM files. */
const pages = (wasm: string[]) => wasm.filter((name) => name.startsWith('split_'));

test('signing in loads no page that was split out; a page loads its code when first shown', async ({ page }) => {
  const seen = watch(page);
  await signIn(page);
  // The sign-in page and the home page come with the main bundle alone.
  expect(seen.wasm).toContain('hallpass.wasm');
  expect(pages(seen.wasm)).toEqual([]);

  // In-app navigation to My devices fetches that page's code, and only that.
  const mains = seen.wasm.filter((name) => name === 'hallpass.wasm').length;
  await page.getByRole('link', { name: 'My devices' }).click();
  await expect(page.getByRole('heading', { name: 'My devices' })).toBeVisible();
  await expect.poll(() => pages(seen.wasm)).toEqual([expect.stringMatching(/^split___devices_view_.*\.wasm$/)]);
  // No reload: the main module was not fetched again.
  expect(seen.wasm.filter((name) => name === 'hallpass.wasm').length).toBe(mains);
  // It works: the list of this user's devices arrives and names this one.
  await expect(page.getByText('This device', { exact: true })).toBeVisible();
  expect(seen.problems).toEqual([]);
});

test('a page that was split out, loaded directly, renders on the server and hydrates', async ({ page }) => {
  await signIn(page, ADMIN);
  const seen = watch(page);
  await page.goto('/admin');
  await expect(page.getByRole('heading', { name: 'Live sessions' })).toBeVisible();
  await hydrated(page);
  expect(pages(seen.wasm)).toEqual([expect.stringMatching(/^split___admin_view_.*\.wasm$/)]);
  // Hydrated means interactive: the filter, handled in the split-out code, asks the server.
  await page.getByLabel('Filter').fill('no-such-account');
  await expect(page.getByTestId('sessions-range')).toHaveText('No live sessions');
  expect(seen.problems).toEqual([]);
});
