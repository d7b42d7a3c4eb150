import { defineConfig } from '@playwright/test';

// Debian's Chromium: Playwright may not download browsers here.
const chromium = {
  browserName: 'chromium' as const,
  launchOptions: {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  },
};

const stores = [
  { name: 'sqlite', port: 3101 },
  { name: 'redis', port: 3102 },
];

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 5_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: './test-results',
  use: { ...chromium, trace: 'retain-on-failure', screenshot: 'only-on-failure' },
  projects: stores.map(({ name, port }) => ({
    name,
    use: { ...chromium, baseURL: `http://127.0.0.1:${port}` },
  })),
  webServer: stores.map(({ name, port }) => ({
    command: `./serve.sh ${port} ${name}`,
    url: `http://127.0.0.1:${port}/login`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
  })),
});
