import { expect, test, type BrowserContext } from '@playwright/test';
import { ADMIN, COOKIE, USER, hydrated, live, sessionCookieOf, setPolicy, signIn } from './helpers';

const REMEMBER = '__Host-hallpass-remember';

async function cookieValue(context: BrowserContext, name: string) {
  return (await context.cookies()).find((c) => c.name === name)?.value;
}

async function forgetSessionCookie(context: BrowserContext) {
  await context.clearCookies({ name: COOKIE });
}

test.afterEach(async ({ request, baseURL }) => {
  await setPolicy(request, baseURL!, 1800);
});

test('an idle session ends and the sign-in page says why', async ({ page, request, baseURL }) => {
  await setPolicy(request, baseURL!, 2);
  await signIn(page);
  // The page follows the server's idle verdict by itself.
  await expect(page).toHaveURL(/\/login\?reason=idle$/, { timeout: 10_000 });
  await expect(page.getByRole('status')).toHaveText('You were signed out after a period of inactivity.');
});

test('a sensitive action asks for the password, then goes through', async ({ page, request, baseURL }) => {
  await setPolicy(request, baseURL!, 1800);
  // A remembered session has not seen a password, so the change needs one.
  await signIn(page, USER, true);
  await forgetSessionCookie(page.context());
  await page.goto('/');
  await expect(page.getByTestId('me-email')).toHaveText(USER.email);
  await hydrated(page);

  await page.getByLabel('New password').fill(USER.password);
  await page.getByRole('button', { name: 'Change password' }).click();
  const dialog = page.getByRole('dialog', { name: "Confirm it's you" });
  await expect(dialog).toBeVisible();
  await dialog.getByLabel('Current password').fill('not my password');
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await expect(dialog.getByRole('alert')).toHaveText('That password is not correct.');
  await dialog.getByLabel('Current password').fill(USER.password);
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('status')).toContainText('Password changed.');
});

test('remember me brings the user back after the browser session ends', async ({ page, context }) => {
  await signIn(page, USER, true);
  const remember = (await context.cookies()).find((c) => c.name === REMEMBER)!;
  expect(remember.httpOnly && remember.secure).toBe(true);
  expect(remember.expires).toBeGreaterThan(Date.now() / 1000 + 29 * 86400);
  const oldSession = await cookieValue(context, COOKIE);

  await forgetSessionCookie(context);
  await page.goto('/');
  await expect(page.getByTestId('me-email')).toHaveText(USER.email);
  const newSession = await cookieValue(context, COOKIE);
  expect(newSession).toBeDefined();
  expect(newSession).not.toBe(oldSession);
  expect(await cookieValue(context, REMEMBER)).not.toBe(remember.value);
});

test('a stolen remember-me token is detected and ends everything', async ({ browser, page, context, baseURL }) => {
  await signIn(page, USER, true);
  const stolen = (await context.cookies()).find((c) => c.name === REMEMBER)!;
  // The victim closes the tab; the browser keeps its cookies.
  await page.goto('about:blank');

  // The thief uses the copy twice, so the victim's copy is now two rotations old.
  const thief = await browser.newContext({ baseURL });
  await thief.addCookies([{ ...stolen }]);
  const thiefPage = await thief.newPage();
  await thiefPage.goto('/');
  await expect(thiefPage.getByTestId('me-email')).toHaveText(USER.email);
  await forgetSessionCookie(thief);
  await thiefPage.goto('/');
  await expect(thiefPage.getByTestId('me-email')).toHaveText(USER.email);
  await hydrated(thiefPage);
  await live(thiefPage);

  // The victim's browser comes back with its (replayed) token: theft.
  await forgetSessionCookie(context);
  await page.goto('/');
  await expect(page).toHaveURL(/\/login\?reason=theft$/);
  await expect(page.getByRole('status')).toContainText('Your saved sign-in was used somewhere else');

  // The thief's open tab is told at once, through the live stream.
  await expect(thiefPage).toHaveURL(/\/login\?reason=theft$/, { timeout: 1_000 });
  await thief.close();
});

test('an unattended admin tab times out even while live events keep it busy', async ({ page, request, baseURL }) => {
  test.setTimeout(150_000);
  await setPolicy(request, baseURL!, 60);
  await signIn(page, ADMIN);
  await page.goto('/admin');
  await hydrated(page);
  await live(page);
  const started = Date.now();
  let refetches = 0;
  page.on('request', (req) => {
    if (req.url().endsWith('/api/admin_sessions')) refetches += 1;
  });

  // Someone else signs in and out every 15 s: each is an event the open tab reacts to by
  // refetching its lists and checking its own session, on its own. Nobody touches the tab.
  let done = false;
  const events = (async () => {
    while (!done) {
      const login = await request.post(`${baseURL}/api/login`, {
        headers: { origin: baseURL! },
        form: { email: USER.email, password: USER.password },
      });
      const cookie = sessionCookieOf(login.headers()['set-cookie']);
      await request.post(`${baseURL}/api/logout`, { headers: { cookie, origin: baseURL! } });
      await new Promise((resolve) => setTimeout(resolve, 15_000));
    }
  })();

  await expect(page).toHaveURL(/\/login\?reason=idle$/, { timeout: 90_000 });
  done = true;
  await events;
  const after = (Date.now() - started) / 1000;
  expect(after).toBeGreaterThan(55);
  expect(refetches, 'the tab kept refetching on events').toBeGreaterThanOrEqual(3);
  await expect(page.getByRole('status')).toHaveText('You were signed out after a period of inactivity.');
});
