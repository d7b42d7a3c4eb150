import { expect, type APIRequestContext, type Page } from '@playwright/test';

export const ADMIN = { email: 'admin@example.test', password: 'correct horse battery staple' };
export const USER = { email: 'user@example.test', password: 'correct horse battery staple' };
export const COOKIE = '__Host-hallpass';

/** Waits until the WASM has hydrated the page, so clicks reach Leptos handlers. */
export async function hydrated(page: Page) {
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
}

/** Waits until the page's live event stream is connected. */
export async function live(page: Page) {
  await expect(page.locator('body[data-live="open"]')).toHaveCount(1);
}

/** Signs in through the form and waits for the signed-in home page. */
export async function signIn(page: Page, who = USER, remember = false) {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  if (remember) await page.getByLabel('Remember me').check();
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId('me-email')).toHaveText(who.email);
  await hydrated(page);
}

/** The session cookie (`name=value`) a response sets, among the others it may set. */
export function sessionCookieOf(setCookie: string): string {
  const line = setCookie.split('\n').find((l) => l.startsWith(`${COOKIE}=`));
  if (!line) throw new Error(`no session cookie in: ${setCookie}`);
  return line.split(';')[0];
}

/** Sets the policy through the API as the admin (its own request context, fresh sign-in). */
export async function setPolicy(request: APIRequestContext, baseURL: string, idle: number, absolute = 28800) {
  const login = await request.post(`${baseURL}/api/login`, {
    headers: { origin: baseURL },
    form: { email: ADMIN.email, password: ADMIN.password },
  });
  expect(login.status()).toBe(200);
  const cookie = sessionCookieOf(login.headers()['set-cookie']);
  const res = await request.post(`${baseURL}/api/set_policy`, {
    headers: { cookie, origin: baseURL },
    form: {
      idle_timeout_secs: String(idle),
      absolute_timeout_secs: String(absolute),
      reauth_window_secs: '300',
      fingerprint_mode: 'strict',
      remember_me_secs: '2592000',
      max_sessions_per_user: '10',
    },
  });
  expect(res.status(), await res.text()).toBe(200);
}

/** Where README screenshots go, when asked for (UPDATE_SCREENSHOTS=1). */
export function screenshotPath(name: string): string | undefined {
  return process.env.UPDATE_SCREENSHOTS ? `../docs/screenshots/${name}.png` : undefined;
}
