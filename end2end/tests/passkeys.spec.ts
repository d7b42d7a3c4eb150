import { expect, test, type Page } from '@playwright/test';
import { ADMIN, hydrated, screenshotPath } from './helpers';

// Passkeys with Chromium's virtual authenticator (DevTools `WebAuthn` domain). The relying
// party is `localhost` (an IP address cannot be one), so these pages are opened on
// http://localhost:PORT, which the test servers list in HALLPASS_PUBLIC_ORIGIN.

async function virtualAuthenticator(page: Page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, authenticatorId };
}

test('a passkey is added, signs in alone, confirms an admin action and is removed', async ({ page, baseURL }) => {
  const base = `http://localhost:${new URL(baseURL!).port}`;
  const { cdp, authenticatorId } = await virtualAuthenticator(page);

  // Password sign-in, then "Add a passkey" on the account page (the sign-in is fresh, so no
  // confirmation is asked).
  await page.goto(`${base}/login`);
  await hydrated(page);
  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByTestId('me-email')).toHaveText(ADMIN.email);
  await hydrated(page);
  const card = page.getByTestId('passkeys');
  await card.getByLabel('Name for a new passkey').fill('laptop');
  await card.getByRole('button', { name: 'Add a passkey' }).click();
  await expect(card.getByRole('status')).toContainText('Passkey "laptop" added.');
  await expect(card.locator('li')).toContainText(['laptop']);
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  expect(credentials).toHaveLength(1);
  expect(credentials[0].isResidentCredential).toBe(true);

  // Admin actions now need a passkey: saved while the password sign-in is fresh...
  await page.goto(`${base}/admin/policy`);
  await hydrated(page);
  await page.getByLabel('Admin actions need a passkey').check();
  await page.getByRole('button', { name: 'Save policy' }).click();
  await expect(page.getByRole('status')).toContainText('Saved.');
  // ...and the next admin action asks for the passkey, not the password.
  await page.getByLabel('Admin actions need a passkey').uncheck();
  await page.getByRole('button', { name: 'Save policy' }).click();
  const prompt = page.getByRole('dialog');
  await expect(prompt).toContainText('Use your passkey to continue.');
  await expect(prompt.getByLabel('Current password')).toHaveCount(0);
  const shot = screenshotPath('passkey-step-up');
  if (shot && test.info().project.name === 'sqlite') await page.screenshot({ path: shot });
  await prompt.getByRole('button', { name: 'Use a passkey' }).click();
  await expect(prompt).toHaveCount(0);
  await expect(page.getByRole('status')).toContainText('Saved.');
  // The save went through after the passkey (the "Saved." above may be the first one's).
  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel('Admin actions need a passkey')).not.toBeChecked();

  // Signed out, the passkey alone signs in: no e-mail, no password.
  await page.goto(`${base}/`);
  await hydrated(page);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login\?reason=signed_out$/);
  await hydrated(page);
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await expect(page).toHaveURL(`${base}/`);
  await expect(page.getByTestId('me-email')).toHaveText(ADMIN.email);
  await expect(page.getByTestId('me-auth')).toContainText('with passkey');
  await hydrated(page);
  const account = screenshotPath('passkeys');
  if (account && test.info().project.name === 'sqlite') await page.screenshot({ path: account, fullPage: true });
  // My devices says how this session was signed in.
  await page.goto(`${base}/sessions`);
  await expect(page.locator('[data-current=true]')).toContainText('Passkey');

  // Removed (the passkey sign-in is fresh): it no longer signs anyone in, though the
  // authenticator still offers it.
  await page.goto(`${base}/`);
  await hydrated(page);
  await card.getByRole('button', { name: 'Remove' }).click();
  await expect(card.getByRole('status')).toContainText('Passkey removed.');
  await expect(card).toContainText('No passkeys yet.');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login\?reason=signed_out$/);
  await hydrated(page);
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await expect(page.getByRole('alert')).toContainText('not registered for this account');
  await expect(page).toHaveURL(/\/login/);
  await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
});

test('a page on another site cannot use the passkey', async ({ page, baseURL }) => {
  // 127.0.0.1 is not within the relying party (localhost): the browser itself refuses to
  // make an assertion there, and nothing signs in.
  const { cdp, authenticatorId } = await virtualAuthenticator(page);
  await page.goto(`${baseURL}/login`);
  await hydrated(page);
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await expect(page.getByRole('alert')).toContainText('passkey');
  await expect(page).toHaveURL(/\/login/);
  expect((await page.context().cookies()).find((c) => c.name === '__Host-hallpass')).toBeUndefined();
  await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
});
