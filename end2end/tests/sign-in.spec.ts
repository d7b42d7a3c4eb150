import { expect, test } from '@playwright/test';
import { COOKIE, USER, hydrated, signIn } from './helpers';

test('signed-out visitors are sent to the sign-in page', async ({ page }) => {
  await page.goto('/');
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
});

test('wrong password shows one generic message and no session', async ({ page, context }) => {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Email').fill(USER.email);
  await page.getByLabel('Password').fill('definitely not it');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByRole('alert')).toHaveText('Incorrect email or password.');
  await expect(page).toHaveURL(/\/login$/);
  expect((await context.cookies()).find((c) => c.name === COOKIE)).toBeUndefined();
});

test('sign in stores a hardened cookie that scripts cannot read', async ({ page, context }) => {
  await signIn(page);
  await expect(page.getByTestId('me-role')).toHaveText('user');

  const cookie = (await context.cookies()).find((c) => c.name === COOKIE);
  expect(cookie, 'the browser kept the session cookie').toBeDefined();
  expect(cookie!.httpOnly).toBe(true);
  expect(cookie!.secure).toBe(true);
  expect(cookie!.sameSite).toBe('Lax');
  expect(cookie!.path).toBe('/');
  expect(cookie!.domain.startsWith('.'), 'host-only: no Domain attribute').toBe(false);
  expect(cookie!.expires, 'a browser-session cookie').toBe(-1);
  expect(cookie!.value).toMatch(/^[A-Za-z0-9_-]{22}$/);

  const visible = await page.evaluate(() => ({
    cookie: document.cookie,
    local: JSON.stringify(localStorage),
    session: JSON.stringify(sessionStorage),
  }));
  expect(visible.cookie).not.toContain(COOKIE);
  for (const store of [visible.cookie, visible.local, visible.session]) {
    expect(store).not.toContain(cookie!.value);
  }
});

test('sign out ends the session and the back button shows nothing signed-in', async ({ page, context }) => {
  await signIn(page);
  const before = (await context.cookies()).find((c) => c.name === COOKIE)!;

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login\?reason=signed_out$/);
  await expect(page.getByRole('status')).toHaveText('You have signed out.');
  expect((await context.cookies()).find((c) => c.name === COOKIE)).toBeUndefined();

  await page.goBack();
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByText(USER.email)).toHaveCount(0);

  // The old cookie, replayed by hand, is dead on the server too.
  const replay = await page.request.post('/api/me', {
    headers: { cookie: `${COOKIE}=${before.value}`, origin: new URL(page.url()).origin },
  });
  expect(replay.status()).toBe(401);
});

test('a form on another site cannot sign the user out', async ({ page, context, baseURL }) => {
  await signIn(page);
  // localhost and 127.0.0.1 are different sites: a page on localhost plays the attacker's
  // (served by the test itself, so it has none of our headers).
  const port = new URL(baseURL!).port;
  const evil = `http://localhost:${port}/evil`;
  await context.route(evil, (route) =>
    route.fulfill({
      contentType: 'text/html',
      body: `<form method="post" action="${baseURL}/api/logout"></form><script>document.forms[0].submit()</script>`,
    }),
  );
  const attacker = await context.newPage();
  await attacker.goto(evil);
  await expect(attacker.locator('body')).toContainText('Cross-site request refused.');
  await page.reload();
  await expect(page.getByTestId('me-email')).toHaveText(USER.email);
});
