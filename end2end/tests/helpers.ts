import { expect, type Page } from '@playwright/test';

export const ADMIN = { email: 'admin@example.test', password: 'correct horse battery staple' };
export const USER = { email: 'user@example.test', password: 'correct horse battery staple' };
export const COOKIE = '__Host-hallpass';

/** Waits until the WASM has hydrated the page, so clicks reach Leptos handlers. */
export async function hydrated(page: Page) {
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
}

/** Signs in through the form and waits for the signed-in home page. */
export async function signIn(page: Page, who = USER, remember = false) {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  if (remember) await page.getByLabel('Remember me').check();
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId('me-email')).toHaveText(who.email);
  await hydrated(page);
}
